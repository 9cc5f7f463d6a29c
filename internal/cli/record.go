package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
)

func init() {
	register(newRecordCmd)
	register(newRecordHelperCmd)
}

type recordOptions struct {
	out     string
	args    bool
	def     string
	stops   bool
	fromLog []string
	into    string
	exe     string
	comm    string
	outFlags
	profileFlags
}

func newRecordCmd(e *env) *cobra.Command {
	var o recordOptions
	c := &cobra.Command{
		Use:   "record [-o OUT] [--format oci|lxc|systemd|spo] [--args] [--default ACTION] -- CMD [ARG...]",
		Short: "Run a program and write the least profile that lets it work",
		Long: `Record runs CMD and every thread, fork, vfork, clone and program it executes
under a recorder, and writes the least profile that allows what they did:
an allowlist of the system calls made after CMD was executed (not
syscage's own), on each ABI seen (an i386 program under x86_64 adds x86),
with the default action ERRNO(EPERM) for everything else. System calls
newer than syscage's tables get ENOSYS from the compiled filter.

With --args, the integer arguments seccomp can check safely are recorded
too, and the profile allows only the values seen: socket family and type,
clone flags, ioctl requests, prctl options, fcntl commands, mmap and
mprotect prot, personality. Pointer arguments are never checked.

The recorder follows the program with ptrace and learns its system calls
from a seccomp filter installed just before CMD is executed: through the
filter's listener (SECCOMP_RET_USER_NOTIF, each call let through with
CONTINUE; Linux 5.6 and later), or with --stops (and on older kernels)
through one ptrace stop per call. No root is needed and nothing is
decoded. It fails if this process may not trace its children (a seccomp
filter, a container or kernel.yama.ptrace_scope forbidding ptrace).
Without CAP_SYS_ADMIN the filter needs no_new_privs, so set-user-ID
programs run without their privileges while recorded; a program that
traces others (gdb, strace) or installs a listener filter of its own
cannot be recorded as it is (use --stops for the latter).

Interrupting syscage (SIGINT, SIGTERM) sends SIGTERM to CMD and writes the
profile once it has ended. If CMD crashes (a signal that dumps core), the
profile of what it did is still written, marked partial in its comments,
and syscage exits 1.`,
		Example: `  syscage record -o app.json -- ./app --serve
  syscage record --args -o curl.json -- curl -s https://example.org
  syscage record --default KILL_PROCESS -- make test
  syscage record --from-log /var/log/audit/audit.log --exe /usr/bin/app --into app.json`,
		Args: cmdArgs(func(c *cobra.Command, args []string) error {
			if len(o.fromLog) > 0 {
				if len(args) > 0 {
					return fmt.Errorf("--from-log runs no program; drop %q", args[0])
				}
				return nil
			}
			if o.exe != "" || o.comm != "" {
				return errors.New("--exe and --comm go with --from-log")
			}
			return cobra.MinimumNArgs(1)(c, args)
		}),
		RunE: func(c *cobra.Command, args []string) error {
			if len(o.fromLog) > 0 {
				ia := importAuditOptions{
					importOptions: importOptions{out: o.out, outFlags: o.outFlags, into: o.into, def: o.def, profileFlags: o.profileFlags},
					exe:           o.exe,
					comm:          o.comm,
				}
				return runImportAudit(e, ia, o.fromLog)
			}
			return runRecord(e, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.out, "output", "o", "", "write the profile to `FILE` instead of stdout")
	f.BoolVar(&o.args, "args", false, "record safe integer arguments and emit argument rules")
	f.StringVar(&o.def, "default", "", "default `ACTION` of the profile (default ERRNO(EPERM))")
	f.BoolVar(&o.stops, "stops", false, "record with a ptrace stop per call instead of a seccomp listener (slower; for programs with listener filters of their own)")
	f.StringSliceVar(&o.fromLog, "from-log", nil, "harvest the seccomp records of `LOG` (audit.log, kern.log, journalctl -o json, - for stdin) instead of running a program")
	f.StringVar(&o.into, "into", "", "add to the existing `PROFILE` what it does not allow yet (a program run with it stops only for those calls)")
	f.StringVar(&o.exe, "exe", "", "with --from-log: keep only records of the program `PATH`")
	f.StringVar(&o.comm, "comm", "", "with --from-log: keep only records of processes named `NAME`")
	f.SetInterspersed(false)
	addOutFlags(c, &o.outFlags)
	addProfileFlags(c, &o.profileFlags)
	return c
}

// newRecordHelperCmd is the hidden command the recorder re-executes
// syscage as: it installs the tracing filter and executes the target.
func newRecordHelperCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:                record.HelperCommand,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			return withCode(ExitFailure, record.ExecHelper(args))
		},
	}
}

func runRecord(e *env, o recordOptions, argv []string) error {
	if err := checkProfileFormat(o.format); err != nil {
		return err
	}
	if err := checkInto(o.into, &o.outFlags, o.out); err != nil {
		return err
	}
	var def profile.Action
	if o.def != "" {
		a, err := profile.ParseAction(o.def)
		if err != nil {
			return usagef("--default: %v", err)
		}
		def = a
	}
	if err := checkOutput(o.out); err != nil {
		return withCode(ExitFailure, err) // before the program runs, not after
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var known *profile.Profile
	if o.into != "" {
		host, _ := parseArchFlag("")
		p, err := loadProfile(o.into, host, o.profileFlags)
		if err != nil {
			return withCode(ExitFailure, err)
		}
		known = p
	}
	ro := record.Options{
		Known:  known,
		Stops:  o.stops,
		Helper: []string{"/proc/self/exe", os.Args[0], record.HelperCommand},
		Args:   o.args,
		Stdin:  fileOr(e.stdin, os.Stdin),
		Stdout: fileOr(e.stdout, os.Stdout),
		Stderr: fileOr(e.stderr, os.Stderr),
		OnUntraced: func(tids []int) {
			fmt.Fprintf(e.stderr, "syscage: record: the program has ended, but %d task(s) it started outside the trace (CLONE_UNTRACED) still run under the recording filter %v; recording them until they end (interrupt to stop: the profile is then partial)\n", len(tids), tids)
		},
	}
	res, err := record.Run(ctx, argv, ro)
	switch {
	case errors.Is(err, record.ErrNotFound):
		return withCode(ExitNotFound, err)
	case errors.Is(err, record.ErrNoExec):
		return withCode(ExitNoExec, err)
	case err != nil:
		return withCode(ExitFailure, err)
	}
	rec := res.Recording
	comment := "recorded by syscage: " + strings.Join(argv, " ")
	if rec.Partial {
		comment += " (partial: " + rec.Reason + ")"
	}
	p := rec.Profile(record.ProfileOptions{Default: def, Comment: comment})
	out := o.out
	if known != nil {
		var adds []record.Addition
		if p, adds, err = rec.AddTo(known, rec.Native); err != nil {
			return withCode(ExitFailure, fmt.Errorf("%s: %w", o.into, err))
		}
		reportAdditions(e, adds, "")
		if out == "" {
			out = o.into
		}
	}
	data, err := formatProfile(e, p, o.outFlags, out)
	if err != nil {
		// The run cannot be repeated at will: keep what it recorded.
		if js, jerr := oci.Format(p); jerr == nil && out != "" && out != "-" {
			saved := out + ".oci.json"
			if werr := writeOutput(e, saved, append(js, '\n')); werr == nil {
				err = fmt.Errorf("%w\nsyscage: the recording is saved as %s; convert it with syscage convert --to %s --lossy, or record with --lossy", err, saved, o.format)
			}
		}
		return withCode(ExitFailure, err)
	}
	if err := writeOutput(e, out, data); err != nil {
		return withCode(ExitFailure, err)
	}
	for _, u := range rec.Unknown {
		fmt.Fprintf(e.stderr, "syscage: warning: system call %s is in no table; the compiled filter answers it with ENOSYS\n", u)
	}
	switch {
	case res.Signal != 0:
		fmt.Fprintf(e.stderr, "syscage: %s was killed by %v\n", argv[0], res.Signal)
	case res.ExitCode != 0:
		fmt.Fprintf(e.stderr, "syscage: %s exited with status %d\n", argv[0], res.ExitCode)
	}
	if rec.Partial {
		return withCode(ExitFinding, fmt.Errorf("the profile is partial: %s; it allows what the program did until then", rec.Reason))
	}
	return nil
}

// fileOr returns w when it is a file, else def.
func fileOr(w any, def *os.File) *os.File {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return def
}
