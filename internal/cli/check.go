package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/internal/unix"
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
	for _, s := range o.workloads {
		w, err := splitWords(s)
		if err != nil {
			return usagef("--workload %q: %v", s, err)
		}
		if len(w) == 0 {
			return usagef("--workload: an empty command")
		}
		workloads = append(workloads, w)
	}
	host, _ := parseArchFlag("")
	p, err := loadProfile(ref, host, o.profileFlags)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if p.Default.Permits() {
		return withCode(ExitFailure, fmt.Errorf("%s lets every call it does not name run (default %s): nothing to check", ref, p.Default))
	}
	ro := record.Options{
		Helper: []string{"/proc/self/exe", os.Args[0], record.HelperCommand},
		Stdin:  fileOr(e.stdin, os.Stdin),
		Stdout: fileOr(e.stdout, os.Stdout),
		Stderr: fileOr(e.stderr, os.Stderr),
	}
	// Signals go to the running workload, as with record; one that ends
	// a process by default also ends the check once that workload ended.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, record.ForwardSignals...)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stop atomic.Value // the first signal that ends the check
	fwd := make(chan os.Signal, 8)
	go func() {
		for {
			select {
			case s := <-sigs:
				if s != syscall.SIGWINCH && s != syscall.SIGCONT {
					stop.CompareAndSwap(nil, s)
				}
				select {
				case fwd <- s:
				default:
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	ro.Signals = fwd
	var report []fusion.Workload
	var stopped error
	for i, w := range workloads {
		if s, ok := stop.Load().(syscall.Signal); ok {
			stopped = fmt.Errorf("check: ended by %s: workload %d of %d not run", unix.SignalString(s), i+1, len(workloads))
			if i+1 < len(workloads) {
				stopped = fmt.Errorf("check: ended by %s: workloads %d to %d not run", unix.SignalString(s), i+1, len(workloads))
			}
			break
		}
		r, err := fusion.Check(context.Background(), p, host, [][]string{w}, ro)
		if err != nil {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner // fusion's "workload 1 (...)": this is workload i+1
			}
			return withCode(ExitFailure, fmt.Errorf("workload %d (%s): %w", i+1, w[0], err))
		}
		report = append(report, r...)
	}
	if o.json {
		if err := writeJSON(e.stderr, report); err != nil { // stdout is the workloads'
			return withCode(ExitFailure, err)
		}
	}
	denied := false
	for i, w := range report {
		denied = denied || len(w.Denied) > 0
		if o.json {
			continue
		}
		status := ""
		if w.Exit != 0 {
			status = fmt.Sprintf(" (it exited with status %d)", w.Exit)
		}
		if len(w.Denied) == 0 {
			fmt.Fprintf(e.stderr, "syscage: check: workload %d (%s): no call would have been denied%s\n", i+1, strings.Join(w.Argv, " "), status)
			continue
		}
		fmt.Fprintf(e.stderr, "syscage: check: workload %d (%s): %d call(s) would have been denied%s:\n", i+1, strings.Join(w.Argv, " "), len(w.Denied), status)
		for _, d := range w.Denied {
			fmt.Fprintf(e.stderr, "  %s\n", d)
		}
	}
	if stopped != nil {
		return withCode(ExitFailure, stopped)
	}
	if denied {
		return silentExit(ExitFinding)
	}
	return nil
}
