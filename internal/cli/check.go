package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/record"
)

type checkOptions struct {
	workloads []string
	json      bool
	profileFlags
}

func newCheckCmd(e *env) *cobra.Command {
	var o checkOptions
	c := &cobra.Command{
		Use:   "check [--workload CMD]... PROFILE [-- CMD [ARG...]]",
		Short: "Run workloads and say which system calls a profile would have denied them",
		Long: `Check runs each workload (CMD, and every --workload command line, split
as a shell splits words) to its end, as record does, and says per
workload which of its system calls PROFILE would have denied, killed or
trapped: how well a profile recorded under other workloads generalizes,
before it is enforced. Nothing is denied while the workloads run: the
calls PROFILE allows with any arguments run without a stop, the others
are recorded with the arguments seccomp can check and let through (as a
LOG action would), and the calls PROFILE answers with ENOSYS get ENOSYS,
as under the profile, so that the program takes its fallbacks.

The verdicts are PROFILE's on this kernel's native ABI, rule by rule; a
call the profile decides by arguments the recorder does not keep
(pointers) is reported with those arguments zero, and said so.

Exit status: 0 when no workload would have had a call denied, 1 when one
would, 125 when a workload could not be run.`,
		Example: `  syscage record -o sort.json -- sort small.txt
  syscage check sort.json -- sort -n --parallel=4 big.txt
  syscage check --workload 'ls -lR /etc' --workload 'ls /' ls.json`,
		Args: cmdArgs(func(c *cobra.Command, args []string) error {
			if len(args) < 1 {
				return errors.New("check needs a PROFILE")
			}
			if len(args) == 1 && len(o.workloads) == 0 {
				return errors.New("check needs a workload: -- CMD [ARG...] or --workload CMD")
			}
			if n := c.ArgsLenAtDash(); n > 1 || (n < 0 && len(args) > 1) {
				return errors.New("check takes one PROFILE, then -- CMD [ARG...]")
			}
			return nil
		}),
		RunE: func(c *cobra.Command, args []string) error {
			return runCheck(e, o, args[0], args[1:])
		},
	}
	f := c.Flags()
	f.StringArrayVar(&o.workloads, "workload", nil, "also run the workload `CMD` (a command line; repeatable)")
	f.BoolVar(&o.json, "json", false, "print the denials per workload as JSON, on stderr (stdout is the workloads')")
	addProfileFlags(c, &o.profileFlags)
	return c
}

func runCheck(e *env, o checkOptions, ref string, argv []string) error {
	var workloads [][]string
	if len(argv) > 0 {
		workloads = append(workloads, argv)
	}
	more, err := splitCommands("workload", o.workloads)
	if err != nil {
		return err
	}
	workloads = append(workloads, more...)
	host, _ := parseArchFlag("")
	p, err := loadProfile(ref, host, o.profileFlags)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if p.Default.Permits() {
		return withCode(ExitFailure, fmt.Errorf("%s lets every call it does not name run (default %s): nothing to check", ref, p.Default))
	}
	ro := record.Options{
		Stdin:  fileOr(e.stdin, os.Stdin),
		Stdout: fileOr(e.stdout, os.Stdout),
		Stderr: fileOr(e.stderr, os.Stderr),
	}
	// Signals go to the running workload; one that ends a process stops
	// the check after it (fusion.Stopped).
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, record.ForwardSignals...)
	defer signal.Stop(sigs)
	ro.Signals = sigs
	report, err := fusion.Check(context.Background(), p, host, workloads, ro)
	var stopped *fusion.Stopped
	if err != nil && !errors.As(err, &stopped) {
		return withCode(ExitFailure, err)
	}
	if o.json {
		if err := writeJSON(e.stderr, report); err != nil { // stdout is the workloads'
			return withCode(ExitFailure, err)
		}
	} else {
		fusion.WriteText(e.stderr, report, "syscage: check: ")
	}
	if stopped != nil {
		return withCode(ExitFailure, fmt.Errorf("check: %w", stopped))
	}
	for _, w := range report {
		if len(w.Denied) > 0 {
			return silentExit(ExitFinding)
		}
	}
	return nil
}
