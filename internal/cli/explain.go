package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/inspect"
)

type explainOptions struct {
	host string
	arch string
	json bool
	profileFlags
}

func newExplainCmd(e *env) *cobra.Command {
	var o explainOptions
	c := &cobra.Command{
		Use:   "explain [--arch ARCH] PROFILE",
		Short: "Say which system calls a profile allows, denies or logs, per architecture",
		Long: `Explain reads a profile as runc and libseccomp would load it on a kernel whose
native ABI is --host, and says per covered architecture and per action which
system calls get it, and under which argument conditions; then what every
other system call gets (the default), what numbers above the largest one the
profile names get (ENOSYS, so that glibc falls back, as runc's stub answers
unless the default is ALLOW, LOG or TRACE), and what calls of architectures the
profile does not cover get. --arch shows one architecture. Last, why each
rule is there, from its comment (a recorded profile says per call: seen N
times, reachable from which function, sibling of which call seen, or
needed by the runtime); --json gives them per action group ("why").`,
		Example: `  syscage explain docker-default
  syscage explain --arch x86 --json app.json`,
		Args: cmdArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runExplain(e, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&o.host, "host", "", "native ABI of the kernel (default: this binary's)")
	f.StringVarP(&o.arch, "arch", "a", "", "show only `ARCH`")
	f.BoolVar(&o.json, "json", false, "print JSON")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("host", completeArch)
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	return c
}

func runExplain(e *env, o explainOptions, ref string) error {
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	only := arch.Invalid
	if o.arch != "" {
		if only, err = arch.Parse(o.arch); err != nil {
			return withCode(ExitUsage, err)
		}
	}
	p, err := loadProfile(ref, host, o.profileFlags)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	var shown []inspect.Explanation
	if only == arch.Invalid {
		shown, err = inspect.Explain(p, host)
	} else {
		var ex inspect.Explanation
		ex, err = inspect.ExplainOn(p, host, only)
		shown = []inspect.Explanation{ex}
	}
	switch {
	case errors.Is(err, inspect.ErrNotCovered):
		return withCode(ExitFinding, fmt.Errorf("%s %w (--host names another kernel)", ref, err))
	case err != nil:
		return withCode(ExitFailure, err)
	case o.json:
		if shown == nil {
			shown = []inspect.Explanation{}
		}
		return writeJSON(e.stdout, shown)
	}
	fmt.Fprint(e.stdout, inspect.ExplainText(shown, host, only == arch.Invalid))
	fmt.Fprint(e.stdout, inspect.ReasonsText(inspect.Reasons(p)))
	return nil
}
