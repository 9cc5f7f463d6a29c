package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
	recebpf "github.com/syscage/syscage/record/ebpf"
)

type recordOptions struct {
	out     string
	args    bool
	def     string
	stops   bool
	fromLog []string
	into    string
	exe     string
	comm    string
	engine  string
	pid     int
	cgroup  string
	json    bool
	bundle  string
	runtime string
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
			if o.bundle != "" {
				if o.pid != 0 || o.cgroup != "" || len(args) > 0 || len(o.train) > 0 {
					return errors.New("--bundle records the bundle's container: no CMD, --pid, --cgroup or --train")
				}
				return nil
			}
			if o.pid != 0 || o.cgroup != "" {
				switch {
				case o.pid != 0 && o.cgroup != "":
					return errors.New("--pid and --cgroup exclude each other")
				case len(args) > 0:
					return fmt.Errorf("--pid and --cgroup record what runs already; drop %q", args[0])
				case len(o.train) > 0:
					return errors.New("--train starts workloads of CMD; --pid and --cgroup record what runs already (record each workload of the running program in one recording instead)")
				}
				return nil
			}
			return cobra.MinimumNArgs(1)(c, args)
		}),
		RunE: func(c *cobra.Command, args []string) error {
			if len(o.fromLog) > 0 {
				ia := importAuditOptions{
					importOptions: importOptions{out: o.out, outFlags: o.outFlags, into: o.into, def: o.def, json: o.json, profileFlags: o.profileFlags},
					exe:           o.exe,
					comm:          o.comm,
					pid:           o.pid,
				}
				return runImportAudit(e, ia, o.fromLog)
			}
			o.engineSet = c.Flags().Changed("engine")
			return runRecord(e, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.out, "output", "o", "", "write the profile to `FILE` (- for stdout; default PROG.seccomp.json, or the --into file)")
	f.BoolVar(&o.args, "args", false, "record safe integer arguments and emit argument rules")
	f.StringVar(&o.def, "default", "", "default `ACTION` of the profile (default ERRNO(EPERM))")
	f.BoolVar(&o.stops, "stops", false, "record with a ptrace stop per call instead of a seccomp listener (slower; for programs with listener filters of their own)")
	f.StringSliceVar(&o.fromLog, "from-log", nil, "harvest the seccomp records of `LOG` (audit.log, kern.log, journalctl -o json, - for stdin) instead of running a program")
	f.StringVar(&o.into, "into", "", "add to the existing `PROFILE` what it does not allow yet (a program run with it stops only for those calls)")
	f.StringVar(&o.engine, "engine", "ptrace", "recording `ENGINE`: ptrace (a seccomp listener or stops), ebpf (kernel tracepoints; root, BTF; no --stops), auto (ebpf when the kernel allows it, else ptrace)")
	pidVar(f, &o.pid, "record the running process `PID` and its descendants (eBPF engine); with --from-log: keep only the records of process PID")
	f.StringVar(&o.cgroup, "cgroup", "", "record every task of the cgroup v2 directory `PATH` (eBPF engine)")
	f.StringVar(&o.bundle, "bundle", "", "record the whole life of the container of the OCI bundle `DIR` (created with --runtime, its init followed from before it executes the container's program; eBPF engine)")
	f.StringVar(&o.runtime, "runtime", "runc", "with --bundle: the OCI runtime `NAME` or path")
	f.StringVar(&o.exe, "exe", "", "with --from-log: keep only records of the program `PATH`")
	f.StringVar(&o.comm, "comm", "", "with --from-log: keep only records of processes named `NAME`")
	f.BoolVar(&o.json, "json", false, "print the file written, the calls added (--into) and those in no table as JSON, on stderr (stdout is the program's; with --from-log on stdout)")
	f.SetInterspersed(false)
	addOutFlags(c, &o.outFlags)
	addProfileFlags(c, &o.profileFlags)
	addFuseFlags(c, &o.fuseFlags)
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
	if err := checkProfileFormat(o.format); err != nil {
		return err
	}
	if o.format == "lxc" && !o.widen && o.into == "" {
		// Said before the recording, which would otherwise be lost.
		return usagef("--format lxc: an LXC policy holds its rules on the host's compat ABIs too (x86 and x32 beside x86_64, arm beside aarch64), which the recording does not cover; --widen-abis writes the recorded calls for them as well")
	}
	ctr, err := createContainer(e, o)
	if err != nil {
		return err
	}
	if ctr != nil {
		defer ctr.Delete()
		o.pid = ctr.Pid
	}
	attach := o.pid != 0 || o.cgroup != ""
	// program is what the static analysis reads: the command, or the
	// running program of --pid (read now: it may end before the
	// recording does). A cgroup's tasks are no one program.
	program := ""
	switch {
	case o.pid != 0:
		argv = []string{"pid-" + strconv.Itoa(o.pid)}
		program, _ = os.Readlink("/proc/" + strconv.Itoa(o.pid) + "/exe")
	case o.cgroup != "":
		argv = []string{"cgroup-" + filepath.Base(filepath.Clean(o.cgroup))}
	default:
		program = argv[0]
	}
	if ctr != nil {
		// The pid is runc's init, not yet the container's program.
		abs, _ := filepath.Abs(o.bundle)
		argv, program = []string{"container-" + filepath.Base(abs)}, ""
	}
	if err := newInto(e, &o.into, &o.out); err != nil {
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
	fused := o.fused(o.into)
	if fused && program == "" {
		fused = false
		if !o.dynamicOnly {
			fmt.Fprintf(e.stderr, "syscage: record: no program to analyze (%s): the profile is the recording alone, as with --dynamic-only\n", argv[0])
		}
	}
	risk, err := o.riskMap()
	if err != nil {
		return err
	}
	trains, err := o.trainArgv()
	if err != nil {
		return err
	}
	if o.out == "" && o.into == "" {
		// The program's stdout is its own: never mix the profile into it.
		o.out = defaultRecordOutput(argv[0], o.format)
	}
	if err := checkOutput(o.out); err != nil {
		return withCode(ExitFailure, err) // before the program runs, not after
	}
	// Every signal that ends a process by default and that a terminal or
	// a supervisor sends goes to the program; syscage records until it
	// has ended and writes the profile.
	// Once the program has ended and only tasks outside the trace
	// remain, a signal ends the recording instead.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, record.ForwardSignals...)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fwd, untraced := record.Relay(ctx, cancel, sigs)
	if attach {
		untraced() // an attached tree is not ours: a signal ends the recording
	}
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
		Known:   known,
		Stops:   o.stops,
		Helper:  []string{"/proc/self/exe", os.Args[0], record.HelperCommand},
		Args:    o.args,
		Stdin:   fileOr(e.stdin, os.Stdin),
		Stdout:  fileOr(e.stdout, os.Stdout),
		Stderr:  fileOr(e.stderr, os.Stderr),
		Signals: fwd,
		OnUntraced: func(tids []int) {
			untraced()
			ids := ""
			if len(tids) > 0 {
				ids = fmt.Sprintf(" %v", tids)
			}
			fmt.Fprintf(e.stderr, "syscage: record: the program has ended, but tasks it started outside the trace (CLONE_UNTRACED) still run under the recording filter%s; recording them until they end (interrupt to stop: the profile is then partial, and their later calls fail with ENOSYS)\n", ids)
		},
	}
	if attach {
		what := fmt.Sprintf("process %d and its descendants", o.pid)
		if o.cgroup != "" {
			what = "the tasks of cgroup " + o.cgroup
		}
		ro.OnRecording = func() {
			fmt.Fprintf(e.stderr, "syscage: record: recording %s (interrupt to stop)\n", what)
			startContainer(e, ctr)
		}
		ro.OnWaiting = func() {
			fmt.Fprintf(e.stderr, "syscage: record: cgroup %s has no task yet: waiting for the first to join\n", o.cgroup)
		}
	}
	run, ptrace, err := recordEngine(e, o)
	if err != nil {
		return err
	}
	if fused {
		// Learn the arguments of the high-risk calls; clone3 hides its
		// flags behind a pointer, so the ptrace engine makes the program
		// use clone.
		ro.Args = true
		switch {
		case !fusion.High("clone3", risk):
		case ptrace:
			ro.ENOSYS = []string{"clone3"}
		default:
			fmt.Fprintf(e.stderr, "syscage: record: the eBPF engine cannot make clone3 fall back to clone: clone3, where seen, is allowed with any flags\n")
		}
	}
	res, err := run(ctx, argv, ro)
	switch {
	case errors.Is(err, record.ErrNotFound):
		return withCode(ExitNotFound, err)
	case errors.Is(err, record.ErrNoExec):
		return withCode(ExitNoExec, err)
	case err != nil:
		return withCode(ExitFailure, err)
	}
	rec := res.Recording
	if attach && len(rec.Calls()) == 0 && len(rec.Unknown) == 0 {
		// An empty profile would deny everything: say why there is none.
		who := fmt.Sprintf("process %d and its descendants", o.pid)
		if o.cgroup != "" {
			who = "the tasks of cgroup " + o.cgroup
		}
		return withCode(ExitFailure, fmt.Errorf("record: %s made no system call while recorded (none ran, or the recording was interrupted first): no profile written", who))
	}
	for _, t := range trains {
		tr, err := run(ctx, t, ro)
		if err != nil {
			return withCode(ExitFailure, fmt.Errorf("--train %s: %w", t[0], err))
		}
		if tr.ExitCode != 0 {
			fmt.Fprintf(e.stderr, "syscage: warning: --train %s ended with status %d (signal %d); what it did is recorded\n", t[0], tr.ExitCode, tr.Signal)
		}
		rec.Merge(tr.Recording)
	}
	// The program's name, not its arguments: they may hold secrets
	// (tokens, passwords), and the profile is shared.
	comment := "recorded by syscage: " + argv[0]
	if rec.Partial {
		comment += " (partial: " + rec.Reason + ")"
	}
	var p *profile.Profile
	if fused {
		static := analyzePrograms(e, o.fuseFlags, program)
		if p, err = fuseRecording(e, rec, static, o, def, comment, risk); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		p = rec.Profile(record.ProfileOptions{Default: def, Comment: comment})
	}
	out := o.out
	var adds []record.Addition
	if known != nil {
		if p, adds, err = rec.AddTo(known, rec.Native); err != nil {
			return withCode(ExitFailure, fmt.Errorf("%s: %w", o.into, err))
		}
		if !o.json {
			reportAdditions(e, adds, "")
		}
		if out == "" {
			out = o.into
		}
	}
	data, err := formatProfile(e, p, rec.Native, o.outFlags, out)
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
	if o.json {
		r := additionReport{Written: out, Additions: append([]record.Addition{}, adds...), Unknown: append([]string{}, rec.Unknown...), Lost: rec.Lost}
		if rec.Partial {
			r.Partial = rec.Reason
		}
		if err := writeJSON(e.stderr, r); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		if out != "-" {
			fmt.Fprintf(e.stderr, "syscage: profile written to %s\n", out)
		}
		for _, u := range rec.Unknown {
			fmt.Fprintf(e.stderr, "syscage: warning: system call %s is in no table; the compiled filter answers it with ENOSYS\n", u)
		}
	}
	code := res.ExitStatus()
	switch {
	case res.Signal != 0:
		fmt.Fprintf(e.stderr, "syscage: %s was killed by %s\n", argv[0], unix.SignalString(res.Signal))
	case res.ExitCode != 0:
		fmt.Fprintf(e.stderr, "syscage: %s exited with status %d\n", argv[0], res.ExitCode)
	}
	if rec.Partial {
		fmt.Fprintf(e.stderr, "syscage: the profile is partial: %s; it allows what was recorded, which may not be all\n", rec.Reason)
	}
	if code != 0 {
		return silentExit(code) // the program's status, as strace exits
	}
	return nil
}

// defaultRecordOutput is the file record writes the profile of program
// to when no -o is given: its base name with .seccomp and the format's
// extension, in the current directory.
func defaultRecordOutput(program, format string) string {
	ext := map[string]string{"lxc": ".lxc", "systemd": ".conf", "spo": ".yaml"}[format]
	if ext == "" {
		ext = ".json"
	}
	base := filepath.Base(program)
	if base == "." || base == "/" {
		base = "program"
	}
	return base + ".seccomp" + ext
}

// fileOr returns w when it is a file, else def.
func fileOr(w any, def *os.File) *os.File {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return def
}

// recordEngine picks the engine --engine names; with auto, it says on
// stderr why it falls back to ptrace.
func recordEngine(e *env, o recordOptions) (run func(context.Context, []string, record.Options) (*record.Result, error), ptrace bool, err error) {
	if o.pid != 0 || o.cgroup != "" {
		flag := "--pid"
		if o.cgroup != "" {
			flag = "--cgroup"
		}
		switch {
		case o.stops:
			return nil, false, usagef("%s: --stops needs the ptrace engine, which follows only programs it starts", flag)
		case o.engineSet && o.engine == "ptrace":
			return nil, false, usagef("%s needs --engine ebpf: the ptrace engine follows only programs it starts", flag)
		case o.engineSet && o.engine != "ebpf" && o.engine != "auto":
			return nil, false, usagef("--engine: %q is not ebpf, ptrace or auto", o.engine)
		}
		if o.cgroup != "" {
			return func(ctx context.Context, _ []string, ro record.Options) (*record.Result, error) {
				return recebpf.AttachCgroup(ctx, o.cgroup, ro)
			}, false, nil
		}
		return func(ctx context.Context, _ []string, ro record.Options) (*record.Result, error) {
			return recebpf.AttachPID(ctx, o.pid, ro)
		}, false, nil
	}
	need := ""
	if o.stops {
		need = "--stops"
	}
	switch o.engine {
	case "ptrace":
		return record.Run, true, nil
	case "ebpf":
		if need != "" {
			return nil, false, usagef("--engine ebpf: %s needs the ptrace engine", need)
		}
		return recebpf.Run, false, nil
	case "auto":
		if need != "" {
			fmt.Fprintf(e.stderr, "syscage: record: using the ptrace engine (%s needs it)\n", need)
			return record.Run, true, nil
		}
		if err := recebpf.Available(); err != nil {
			fmt.Fprintf(e.stderr, "syscage: record: using the ptrace engine: %v\n", err)
			return record.Run, true, nil
		}
		return recebpf.Run, false, nil
	}
	return nil, false, usagef("--engine: %q is not ebpf, ptrace or auto", o.engine)
}
