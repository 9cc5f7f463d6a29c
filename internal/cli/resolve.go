package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/arch"
)

type resolveOptions struct {
	arch  string
	dump  bool
	grep  []string
	json  bool
	names []string
}

func newResolveCmd(e *env) *cobra.Command {
	var o resolveOptions
	c := &cobra.Command{
		Use:   "resolve [-a ARCH] NAME|NUMBER...",
		Short: "Translate system-call names to numbers and back, on any architecture",
		Long: `Resolve translates system-call names to numbers and numbers to names, the job
of scmp_sys_resolver and ausyscall. Numbers are decimal or 0x hex. ARCH is any
spelling of an architecture: x86_64, SCMP_ARCH_AARCH64, arm64, x86-64, i386,
or an audit hex token such as c000003e. The default is the architecture of
this syscage binary.

On ABIs that multiplex socket and System V IPC calls (x86, s390, ppc, ...)
a name reached only through socketcall(2) or ipc(2) prints as
"ipc(117) call 1"; --json gives the parts.

The tables come from ` + arch.TableRelease() + `; a name missing on an
architecture is reported unknown, never guessed.`,
		Example: `  syscage resolve execve                  # 59 on x86_64
  syscage resolve -a aarch64 57           # close
  syscage resolve -a c000003e 59          # execve
  syscage resolve -a x32 read             # 1073741824 (x32 bit set)
  syscage resolve -a i386 --grep sock     # every name containing "sock"
  syscage resolve -a riscv64 --dump --json`,
		Args: cmdArgs(func(c *cobra.Command, args []string) error {
			if len(args) == 0 && !o.dump && len(o.grep) == 0 {
				return fmt.Errorf("resolve needs a NAME or NUMBER, --dump or --grep")
			}
			return nil
		}),
		RunE: func(c *cobra.Command, args []string) error {
			o.names = args
			return runResolve(e, o)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.arch, "arch", "a", "", "architecture (default: this binary's)")
	f.BoolVar(&o.dump, "dump", false, "print the whole table")
	f.StringArrayVar(&o.grep, "grep", nil, "print the names containing `SUBSTRING` (repeatable)")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	return c
}

func completeArch(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, a := range arch.All() {
		out = append(out, a.String())
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// parseArchFlag resolves an --arch value, defaulting to the native ABI.
func parseArchFlag(s string) (arch.Arch, error) {
	if s == "" || s == "native" {
		a, ok := arch.Native()
		if !ok {
			return arch.Invalid, fmt.Errorf("this binary's architecture is unknown to syscage; pass --arch")
		}
		return a, nil
	}
	a, err := arch.Parse(s)
	if err != nil {
		return arch.Invalid, usageError{err}
	}
	return a, nil
}

func runResolve(e *env, o resolveOptions) error {
	a, err := parseArchFlag(o.arch)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	table := o.dump || len(o.grep) > 0
	out, unknown := a.Answers(o.names, o.grep, o.dump)
	if o.json {
		if out == nil {
			out = []arch.Lookup{}
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		for _, r := range out {
			if r.Error != "" {
				fmt.Fprintf(e.stderr, "syscage: %s\n", r.Error)
			} else {
				fmt.Fprintln(e.stdout, r.Line(table))
			}
		}
	}
	if unknown > 0 {
		if len(o.grep) > 0 && len(o.names) == 0 {
			fmt.Fprintf(e.stderr, "syscage: no system call on %s contains %s\n", a, strings.Join(o.grep, " or "))
		}
		return silentExit(ExitFinding)
	}
	return nil
}
