package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/session"
)

// recordOptions are record's flags: the session's (session.Options)
// and those of the profile written.
type recordOptions struct {
	session.Options
	out     string
	def     string
	fromLog []string
	into    string
	exe     string
	comm    string
	json    bool
	// engineSet: --engine was given, not defaulted.
	engineSet bool
	outFlags
	profileFlags
	fuseFlags
}

func newRecordCmd(e *env) *cobra.Command {
	var o recordOptions
	c := &cobra.Command{
		Use:   "record [-o OUT] [--format oci|lxc|systemd|spo] [--args] [--default ACTION] {-- CMD [ARG...] | --pid PID | --cgroup PATH | --bundle DIR}",
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

With --engine ebpf (root, or CAP_BPF and CAP_PERFMON; BTF; x86_64), eBPF
programs on kernel tracepoints count the calls instead, and with --args
keep the same argument values in kernel maps; the program is never
stopped. --engine auto uses eBPF when the kernel allows it, else ptrace,
saying why.

--pid PID records a running process and its descendants (those alive and
those they start) until they have ended, --cgroup PATH every task of a
cgroup v2 directory and the cgroups below it until it is empty again
once a task was in it (on a hybrid layout, the directory under the
cgroup2 mount: a cgroup v1 directory is an error); a cgroup with no task
yet is waited for, which record says. An interrupt ends either recording
and writes the profile, leaving the processes running; if nothing made
a call while recorded, no profile is written (exit 125). Both need the
eBPF engine (the default for them) and see only the calls made from the
moment they start.

--bundle DIR records the whole life of the container of an OCI bundle:
syscage creates it with --runtime (runc create), follows its init process
and what it starts with the eBPF engine, as --pid does, and lets it run
(runc start); the container's output is syscage's. The recording begins
before the init executes the container's program, so the profile holds
what runc does after loading the filter with noNewPrivileges (convert
--oci-config adds what it does without). The bundle's own seccomp
section stays in force: give it none, or one that allows what is to be
recorded.

The program's standard output is its own: the profile goes to the file
-o names, and without -o to PROG.seccomp.json in the current directory
(PROG being CMD's base name; .yaml for spo, .conf for systemd, .lxc for
lxc), whose name is printed on stderr. With --into it goes back to the
--into file. -o - writes it to stdout, after whatever the program wrote
there.

By default (--static) the recording is fused with a static analysis of
CMD's program (and of the programs --analyze names, such as those CMD
runs), so that the profile also works for workloads the recording did
not see: it allows what the recording saw, the low-risk calls the code
can reach, the siblings libc may pick for a call seen (writev for write,
mremap for mmap, the *at twins) and what the runtime needs. High-risk
calls (exec, process creation, ptrace, mounts, namespaces, bpf, keys,
modules, io_uring, clock setting, socket families) are allowed only as
the recording saw them: clone's flags, socket's family and personality's
persona are recorded and checked (the ptrace engine answers clone3,
whose flags are in memory, with ENOSYS so that the program uses clone).
--risk NAME=low|high moves a class or a call. Each rule's comment says
why its calls are there; syscage explain prints them. A program that
cannot be analysed (not ELF, another architecture) is a warning and the
profile rests on the recording. --dynamic-only writes what the recording
saw and nothing more, as does --into (which adds what a run did to a
profile). --train CMD records more workloads into the same
profile; syscage check tells what a profile would deny a workload.

Signals that end or poke a program (HUP, INT, QUIT, TERM, USR1, USR2,
WINCH, ALRM) sent to syscage are passed on to CMD, and the profile is
written once it has ended. Once CMD itself has ended, they go to every
process it left running (with either --engine); with ptrace, a second
one then kills those, and the profile is marked partial. If CMD crashes (a signal that dumps core and
that syscage did not pass on), the profile of what it did is still
written, marked partial in its comments.

Exit status: CMD's own, as strace returns it; 128+N when signal N ended
it. 125 when syscage failed, 126 when CMD cannot be executed, 127 when it
was not found.`,
		Example: `  syscage record -o app.json -- ./app --serve
  syscage record --args -o curl.json -- curl -s https://example.org
  syscage record --default KILL_PROCESS -- make test
  syscage record --pid 4242 -o app.json
  syscage record --cgroup /sys/fs/cgroup/system.slice/app.service -o app.json
  syscage record --train 'sort -n big.txt' -o sort.json -- sort small.txt
  syscage record --dynamic-only -o exact.json -- ./app
  syscage record --from-log /var/log/audit/audit.log --exe /usr/bin/app --into app.json`,
		Args: cmdArgs(func(c *cobra.Command, args []string) error {
			if len(o.fromLog) > 0 {
				if len(args) > 0 {
					return fmt.Errorf("--from-log runs no program; drop %q", args[0])
				}
				// A flag that would not act is refused, not dropped: a
				// harvest that seems narrowed to one program and is not
				// takes every program's calls.
				for _, name := range []string{"cgroup", "args", "stops", "engine", "analyze", "train", "risk", "static", "dynamic-only"} {
					if c.Flags().Changed(name) {
						return fmt.Errorf("--%s does not go with --from-log, which reads a log and runs no program (--exe, --comm and --pid choose the program)", name)
					}
				}
				return nil
			}
			if o.exe != "" || o.comm != "" {
				return errors.New("--exe and --comm go with --from-log")
			}
			if o.Bundle != "" || o.PID != 0 || o.Cgroup != "" {
				return nil // session.Options.Check
			}
			return cobra.MinimumNArgs(1)(c, args)
		}),
		RunE: func(c *cobra.Command, args []string) error {
			if len(o.fromLog) > 0 {
				ia := importAuditOptions{
					importOptions: importOptions{out: o.out, outFlags: o.outFlags, into: o.into, def: o.def, json: o.json, profileFlags: o.profileFlags},
					Filter:        audit.Filter{PID: o.PID, Comm: o.comm, Exe: o.exe},
				}
				return runImportAudit(e, ia, o.fromLog)
			}
			o.engineSet = c.Flags().Changed("engine")
			return runRecord(e, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.out, "output", "o", "", "write the profile to `FILE` (- for stdout; default PROG.seccomp.json, or the --into file)")
	f.BoolVar(&o.Record.Args, "args", false, "record safe integer arguments and emit argument rules")
	f.StringVar(&o.def, "default", "", "default `ACTION` of the profile (default ERRNO(EPERM))")
	f.BoolVar(&o.Record.Stops, "stops", false, "record with a ptrace stop per call instead of a seccomp listener (slower; for programs with listener filters of their own)")
	f.StringSliceVar(&o.fromLog, "from-log", nil, "harvest the seccomp records of `LOG` (audit.log, kern.log, journalctl -o json, - for stdin) instead of running a program")
	f.StringVar(&o.into, "into", "", "add to the existing `PROFILE` what it does not allow yet (a program run with it stops only for those calls)")
	f.StringVar(&o.Engine, "engine", "ptrace", "recording `ENGINE`: ptrace (a seccomp listener or stops), ebpf (kernel tracepoints; root, BTF; no --stops), auto (ebpf when the kernel allows it, else ptrace)")
	pidVar(f, &o.PID, "record the running process `PID` and its descendants (eBPF engine); with --from-log: keep only the records of process PID")
	f.StringVar(&o.Cgroup, "cgroup", "", "record every task of the cgroup v2 directory `PATH` (eBPF engine)")
	f.StringVar(&o.Bundle, "bundle", "", "record the whole life of the container of the OCI bundle `DIR` (created with --runtime, its init followed from before it executes the container's program; eBPF engine)")
	f.StringVar(&o.Runtime, "runtime", "runc", "with --bundle: the OCI runtime `NAME` or path")
	f.StringVar(&o.exe, "exe", "", "with --from-log: keep only records of the program `PATH`")
	f.StringVar(&o.comm, "comm", "", "with --from-log: keep only records of processes named `NAME`")
	f.BoolVar(&o.json, "json", false, "print the file written, the calls added (--into) and those in no table as JSON, on stderr (stdout is the program's; with --from-log on stdout)")
	f.SetInterspersed(false)
	addOutFlags(c, &o.outFlags)
	addProfileFlags(c, &o.profileFlags)
	addFuseFlags(c, &o.fuseFlags, &o.Analyze)
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
			// syscage record reports the reason, which it reads from the
			// helper: say nothing here, or it is said twice.
			return silentExit(record.HelperExitCode(record.ExecHelper(args)))
		},
	}
}

func runRecord(e *env, o recordOptions, argv []string) error {
	so, err := o.session(e, argv)
	if err != nil {
		return err
	}
	if err := so.Check(); err != nil {
		return usagef("%v", err)
	}
	if err := checkProfileFormat(o.format); err != nil {
		return err
	}
	if o.format == "lxc" && !o.widen && o.into == "" {
		// Said before the recording, which would otherwise be lost.
		return usagef("--format lxc: an LXC policy holds its rules on the host's compat ABIs too (x86 and x32 beside x86_64, arm beside aarch64), which the recording does not cover; --widen-abis writes the recorded calls for them as well")
	}
	if err := newInto(e, &o.into, &o.out); err != nil {
		return err
	}
	if err := checkInto(o.into, &o.outFlags, o.out); err != nil {
		return err
	}
	if o.def != "" {
		if so.Default, err = profile.ParseAction(o.def); err != nil {
			return usagef("--default: %v", err)
		}
	}
	so.Fuse = o.fused(o.into)
	host, _ := arch.Native()
	if so.Risk, err = fusion.ParseRisks(o.risk, host); err != nil {
		return usagef("--risk: %v", err)
	}
	if o.out == "" && o.into == "" {
		// The program's stdout is its own: never mix the profile into it.
		o.out = so.DefaultOutput(formats.Format(o.format).Ext())
	}
	if err := checkOutput(o.out); err != nil {
		return withCode(ExitFailure, err) // before the program runs, not after
	}
	// Every signal that ends a process by default and that a terminal or
	// a supervisor sends goes to the program; syscage records until it
	// has ended and writes the profile.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, record.ForwardSignals...)
	defer signal.Stop(sigs)
	so.Record.Signals = sigs
	if o.into != "" {
		native, _ := parseArchFlag("")
		if so.Record.Known, err = loadProfile(o.into, native, o.profileFlags); err != nil {
			return withCode(ExitFailure, err)
		}
		so.KnownName = o.into
	}
	so.Notes = func(s string) { fmt.Fprintf(e.stderr, "syscage: %s\n", s) }
	out, err := session.Record(context.Background(), so)
	var oe *record.OptionError
	switch {
	case errors.As(err, &oe):
		return usagef("%v", err)
	case err != nil:
		return withCode(record.HelperExitCode(err), err) // 127 not found, 126 no exec, 125
	}
	if out.Fusion != nil && !o.json {
		for _, l := range out.Fusion.Summary() {
			fmt.Fprintf(e.stderr, "syscage: record: %s\n", l)
		}
	}
	res, rec, p, dest := out.Result, out.Result.Recording, out.Profile, o.out
	if so.Record.Known != nil {
		if !o.json {
			reportAdditions(e, out.Additions, "")
		}
		if dest == "" {
			dest = o.into
		}
	}
	data, err := formatProfile(e, p, rec.Native, o.outFlags, dest)
	if err != nil {
		// The run cannot be repeated at will: keep what it recorded.
		if js, jerr := oci.Format(p); jerr == nil && dest != "" && dest != "-" {
			saved := dest + ".oci.json"
			if werr := writeOutput(e, saved, append(js, '\n')); werr == nil {
				err = fmt.Errorf("%w\nsyscage: the recording is saved as %s; convert it with syscage convert --to %s --lossy, or record with --lossy", err, saved, o.format)
			}
		}
		return withCode(ExitFailure, err)
	}
	if err := writeOutput(e, dest, data); err != nil {
		return withCode(ExitFailure, err)
	}
	report := record.NewReport(dest, rec, out.Additions, nil)
	report.Hook = out.Result.Hook
	if o.json {
		if err := writeJSON(e.stderr, report); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		if dest != "-" {
			fmt.Fprintf(e.stderr, "syscage: profile written to %s\n", dest)
		}
		sayLines(e, report.Lines())
	}
	sayLines(e, out.Lines())
	if code := res.ExitStatus(); code != 0 {
		return silentExit(code) // the program's status, as strace exits
	}
	return nil
}

// session completes the session of record's flags with CMD (without
// what runRecord adds once it has checked the flags).
func (o *recordOptions) session(e *env, argv []string) (session.Options, error) {
	so := o.Options
	so.Argv = argv
	so.NoConds = o.format == "systemd" && !so.Record.Args // systemd's SystemCallFilter= has no argument conditions
	so.Record.Stdin, so.Record.Stdout, so.Record.Stderr = fileOr(e.stdin, os.Stdin), fileOr(e.stdout, os.Stdout), fileOr(e.stderr, os.Stderr)
	if !o.engineSet {
		so.Engine = "" // the default of what is recorded
	}
	if dir, err := os.UserCacheDir(); err == nil {
		so.CacheDir = filepath.Join(dir, "syscage", "analyze")
	}
	var err error
	so.Train, err = o.trainArgv()
	return so, err
}

// fileOr returns w when it is a file, else def.
func fileOr(w any, def *os.File) *os.File {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return def
}

// fuseFlags are record's flags for the fusion of the recording with the
// static analysis (package fusion).
type fuseFlags struct {
	dynamicOnly bool
	static      bool
	risk        []string
	train       []string
}

func addFuseFlags(c *cobra.Command, o *fuseFlags, analyze *[]string) {
	f := c.Flags()
	f.BoolVar(&o.static, "static", true, "fuse the recording with the static analysis of CMD (and --analyze programs): add the low-risk calls the code can reach, the siblings of calls seen and what the runtime needs, each with its reason")
	f.BoolVar(&o.dynamicOnly, "dynamic-only", false, "write what the recording saw, nothing more (--static=false)")
	f.StringArrayVar(&o.risk, "risk", nil, "override a risk class or call: `NAME=high|low` (repeatable; classes: "+strings.Join(fusion.RiskClasses(), ", ")+")")
	f.StringArrayVar(analyze, "analyze", nil, "also analyse the program `PATH` (one CMD runs; repeatable)")
	f.StringArrayVar(&o.train, "train", nil, "also record the workload `CMD` (a command line, split as a shell splits words; repeatable); the profile allows what every workload did")
}

// fused reports whether record fuses the recording with the analysis.
func (o *fuseFlags) fused(into string) bool {
	return o.static && !o.dynamicOnly && into == ""
}

// trainArgv splits each --train command line into words.
func (o *fuseFlags) trainArgv() ([][]string, error) { return splitCommands("train", o.train) }

// splitCommands splits each command line given with --flag into words
// (record.SplitCommand), refusing one it cannot split or an empty one.
func splitCommands(flag string, lines []string) ([][]string, error) {
	var out [][]string
	for _, s := range lines {
		w, err := record.SplitCommand(s)
		if err != nil {
			return nil, usagef("--%s %q: %v", flag, s, err)
		}
		if len(w) == 0 {
			return nil, usagef("--%s: an empty command", flag)
		}
		out = append(out, w)
	}
	return out, nil
}
