package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/inspect"
)

type lintOptions struct {
	host   string
	json   bool
	failOn string
	profileFlags
}

func newLintCmd(e *env) *cobra.Command {
	var o lintOptions
	c := &cobra.Command{
		Use:   "lint [--json] PROFILE|FILE.bpf|DUMPDIR",
		Short: "Find weaknesses and mistakes in a profile",
		Long: `Lint checks a profile, resolved for --host as runc would load it, for:

` + inspect.LintChecksText(inspect.LintChecks) + `
A compiled filter (FILE.bpf, or a directory written by 'syscage dump -o') is
checked for ways around it instead:

` + inspect.LintChecksText(inspect.LintStackChecks) + `
Each finding has a severity (high, medium, low) and a fix. Exit status 1
when there are findings of the --fail-on severity or above (default low:
any finding), 0 when there are none; every finding is printed either way.
A profile written by 'syscage record' has no medium or high findings:
'lint --fail-on medium' passes it.`,
		Example: `  syscage lint app.json
  syscage lint --json docker-default`,
		Args: cmdArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runLint(e, o, args[0])
		},
	}
	c.Flags().StringVar(&o.host, "host", "", "native ABI of the kernel (default: this binary's)")
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	c.Flags().StringVar(&o.failOn, "fail-on", "low", "exit 1 for findings of `SEVERITY` or above: low, medium, high, or none")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"low", "medium", "high", "none"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("host", completeArch)
	return c
}

func runLint(e *env, o lintOptions, ref string) error {
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	failOn := inspect.High + 1 // none
	if o.failOn != "none" {
		if failOn, err = inspect.ParseSeverity(o.failOn); err != nil {
			return usagef("--fail-on %q: want low, medium, high or none", o.failOn)
		}
	}
	var fs []inspect.Finding
	if compiled(ref) {
		// A compiled filter or a dump: look for ways around it.
		s, err := loadStack(ref, host, o.profileFlags)
		if err != nil {
			return withCode(ExitFailure, err)
		}
		if fs, err = inspect.LintStack(s, host); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		raw, _, err := profiles.Open(ref, "")
		if err != nil {
			return withCode(ExitFailure, err)
		}
		p, err := resolveFor(raw, host, o.profileFlags)
		if err != nil {
			return withCode(ExitFailure, err)
		}
		if err := checkStrict(ref, p, host, o.profileFlags); err != nil {
			return withCode(ExitFailure, err)
		}
		if fs, err = inspect.Lint(p, host, inspect.LintOptions{Origins: inspect.Origins(raw, p)}); err != nil {
			return withCode(ExitFailure, err)
		}
	}
	if o.json {
		if fs == nil {
			fs = []inspect.Finding{}
		}
		if err := writeJSON(e.stdout, fs); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		fmt.Fprint(e.stdout, inspect.FindingsText(fs))
	}
	if inspect.Worst(fs) >= failOn {
		return silentExit(ExitFinding)
	}
	return nil
}
