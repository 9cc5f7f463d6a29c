package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/atomicfile"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/record/auditlog"
	"github.com/syscage/syscage/seccomp"
)

// runOptions are run's flags: the launch's (launch.Options) and the
// profile's.
type runOptions struct {
	launch.Options
	profile string
	patch   string
	profileFlags
}

func newRunCmd(e *env) *cobra.Command {
	var o runOptions
	c := &cobra.Command{
		Use:   "run [-p PROFILE] [options] -- CMD [ARG...]",
		Short: "Run a program under a seccomp profile",
		Long: `Run starts CMD under PROFILE (a file in any format syscage reads, as
compile takes it, or a built-in name; default docker-default). The child that becomes CMD marks every
inherited descriptor but stdin, stdout, stderr and those kept with
--keep-fd close-on-exec, optionally clears the environment and drops
capabilities, sets no_new_privs, installs the compiled filter (with --log
with SECCOMP_FILTER_FLAG_LOG) on the thread that then executes CMD. The filter survives exec: CMD and everything it starts stay inside.
The profile's flags are applied as runc applies them (LOG, SPEC_ALLOW;
TSYNC holds anyway); a profile with listenerPath or a flag that needs a
seccomp agent is refused.

CMD runs in a session of its own, without a controlling terminal, so
that it cannot push input into the caller's terminal (TIOCSTI; as root,
CAP_SYS_ADMIN still can: use --drop-caps or a profile that denies it).
Every catchable signal syscage receives (from a terminal's ^C, from a
supervisor) is passed on to CMD's process group; CMD dies with syscage.
CMD starts with every signal's default action and none blocked, whatever
syscage's caller ignored or blocked (as systemd starts a service):
--ignore-signal SIG starts it with SIG ignored (nohup's HUP, systemd's
IgnoreSIGPIPE=: PIPE).

Fail closed: if the profile cannot be read, compiled or installed, or
denies execve itself, CMD never runs and the error says why.

Exit status: CMD's own; 128+N when signal N ended it. When seccomp ended
it with SIGSYS (159), one line on stderr names the system call, its number
and ABI, the action and the rule or default that decided it: from the
siginfo for TRAP. 125 when syscage failed, 126 when CMD cannot be
executed, 127 when it was not found.

With --complain the profile's denials (and other ABIs) become LOG: CMD
runs as if allowed, the kernel logs each call the profile would have
denied, and at exit syscage prints them with a patch that adds a rule
allowing them (a unified diff of the profile file; --patch FILE writes it
there). It reads the kernel log (/dev/kmsg, needs CAP_SYSLOG), which the
kernel rate-limits: apply the patch and run again until nothing is left.

The default profile is docker-default hardened as 'syscage compile
--harden' hardens it: int arguments compared on the bits the kernel uses
(socket(0x100000028) is denied as socket(AF_VSOCK) is), socketcall and ipc
decided per sub-call, 32-bit twins denied with their names, and ioctl's
TIOCSTI, TIOCLINUX and TIOCCONS denied (a program cannot type into the
terminal it shares with its caller, nor take the console's output). --harden hardens a profile given with -p too;
--harden=false runs the default as Docker ships it.

With --memory-deny-write-execute, memory writable and executable at once
is denied as systemd's MemoryDenyWriteExecute= denies it: mmap, mmap2,
mprotect and pkey_mprotect with PROT_WRITE|PROT_EXEC and shmat with
SHM_EXEC get EPERM on every ABI the filter covers (the profile is
transformed as convert --wx does), and CMD runs with PR_SET_MDWE where the
kernel has it (6.3+), which also refuses making written memory executable.

Every seccomp kill in CMD's tree (and trap, with --log) is reported as it
happens and again at exit, with the process's pid and name, the call, its
ABI, the action and the rule, from the kernel's audit records of CMD's
audit session (root: CAP_AUDIT_CONTROL to start it, CAP_AUDIT_READ or
CAP_SYSLOG to read them; without, only CMD's own process is known).

With --exec-once, execve and execveat are notified to syscage
(SECCOMP_RET_USER_NOTIF): CMD itself starts, every later execve in its
tree gets EPERM and is reported; should syscage die, they get ENOSYS.
--exec-allow PATH lets the tree still execute PATH: syscage reads the
path the call names, resolves it from the caller's root and directory
and compares the file (device, inode). The kernel reads the path again
after that check: a program with a second thread sharing its memory, or
one that renames a file over PATH in between, can execute something else.
--exec-allow narrows what an honest program may run; against code an
attacker controls, use --exec-once alone. execveat on a descriptor is
always refused.

With --allow-open PATH[:ro|rw] open, openat, openat2, creat, the stat
family (stat, lstat, newfstatat, statx), access, faccessat(2),
readlink(at) and, under an rw PATH, mkdir, unlink, rmdir, rename, link,
symlink, chmod, truncate, utimensat, and connect and bind of unix
sockets by path go to syscage, which does the call
itself when the file lies under an allowed PATH (a directory covers its
subtree), with the access asked if the rule allows it (ro by default),
and hands CMD the descriptor or the result; ".." and symbolic links
cannot leave the tree (openat2 RESOLVE_BENEATH), /proc/self is CMD's
own. Any other call gets EACCES and is reported; calls that name a file
and that syscage does not do for CMD (chown, mknod, statfs, the xattr
calls, io_uring_setup, ...) are refused. The loader's cache, the system's
libraries, locales and time zones are allowed read-only unless
--no-default-opens.

With --sandbox CMD runs as an untrusted job: in new user, mount, pid,
network, ipc and uts namespaces (CMD is the child of a minimal init,
pid 1, which passes signals on and reaps orphans, so that CMD dies of
SIGXFSZ, SIGPIPE or SIGTERM as outside; run by root it is the host's
nobody), with no network but its own loopback, the file system
read-only but for --rw PATH (repeatable), a private /tmp and /proc, the
resource limits of --limit cpu=SECONDS,as=SIZE,nproc=N,fsize=SIZE,nofile=N
(sizes with K, M or G), a wall-clock --timeout, no capabilities, a clean
environment (PATH=/usr/local/bin:/usr/bin:/bin, plus --env) and no
descriptor but 0-2. At exit a JSON report (how it ended, CPU time, peak
memory, every denial in its tree) goes to --report FILE, or to stderr.

With --drop-caps the capabilities given with --cap are kept and all
others dropped; --cap also gives the capability set Docker's includes and
excludes are resolved for (default: Docker's default set, or none with
--drop-caps).`,
		Example: `  syscage run -- ./app --serve
  syscage run -p app.json --clear-env --env PATH=/usr/bin -- ./app
  syscage run -p app.json --drop-caps --cap CAP_NET_BIND_SERVICE -- ./server
  syscage run --keep-fd 3 -- ./worker 3<socket
  syscage run -p app.json --complain --patch app.patch -- ./app && patch -p0 < app.patch
  syscage run --sandbox --rw $PWD/out --limit cpu=10,as=1G --timeout 30s --report job.json -- ./job`,
		Args: cmdArgs(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("profile") && !c.Flags().Changed("harden") {
				o.Harden = true // the default profile runs hardened
			}
			o.Outside = !c.Flags().Changed("profile")
			o.Caps = o.profileFlags.caps
			if err := o.Check(); err != nil {
				return usagef("%v", err)
			}
			return runRun(e, o, args)
		},
	}
	f := c.Flags()
	f.SetInterspersed(false)
	f.StringVarP(&o.profile, "profile", "p", "docker-default", "profile `FILE` or built-in name")
	f.IntSliceVar(&o.KeepFDs, "keep-fd", nil, "keep descriptor `N` open in CMD (repeatable)")
	f.BoolVar(&o.ClearEnv, "clear-env", false, "start CMD with an empty environment (plus --env)")
	f.StringArrayVar(&o.Env, "env", nil, "set `K=V` in CMD's environment (repeatable)")
	f.BoolVar(&o.DropCaps, "drop-caps", false, "drop every capability but those given with --cap (without --cap: all of them)")
	f.BoolVar(&o.AllCaps, "all-caps", false, "keep every capability syscage has, and read the profile for all of them (default: keep only the --cap set, or Docker's default set)")
	f.BoolVar(&o.Log, "log", false, "install with SECCOMP_FILTER_FLAG_LOG: the kernel logs every action but ALLOW")
	f.BoolVar(&o.Complain, "complain", false, "turn the profile's denials into LOG and print, at exit, the calls it would have denied as a patch")
	f.StringVar(&o.patch, "patch", "", "with --complain, write the patch to `FILE` instead of stderr")
	f.BoolVar(&o.Harden, "harden", false, "harden the profile as compile --harden does (default: on for the default profile)")
	f.BoolVar(&o.WX, "memory-deny-write-execute", false, "deny memory writable and executable at once (convert --wx), and set PR_SET_MDWE where the kernel has it")
	f.BoolVar(&o.ExecOnce, "exec-once", false, "let CMD's tree execute no program after CMD itself: later execve/execveat get EPERM and are reported")
	f.StringArrayVar(&o.ExecAllow, "exec-allow", nil, "with --exec-once, let the tree still execute `PATH` (repeatable; see the race noted above)")
	f.StringArrayVar(&o.AllowOpen, "allow-open", nil, "broker CMD's opens: let it open files under `PATH[:ro|rw]` only (repeatable; default ro)")
	f.BoolVar(&o.NoDefaultOpens, "no-default-opens", false, "with --allow-open, do not allow the loader's and libc's files")
	f.BoolVar(&o.Sandbox, "sandbox", false, "run CMD as an untrusted job: new namespaces, read-only file system, limits, a JSON report")
	f.StringArrayVar(&o.RW, "rw", nil, "with --sandbox, keep absolute `PATH` writable (repeatable)")
	f.StringVar(&o.Limits, "limit", "", "with --sandbox, resource limits `cpu=S,as=SIZE,nproc=N,fsize=SIZE,nofile=N`")
	f.DurationVar(&o.Timeout, "timeout", 0, "with --sandbox, kill CMD and its tree after `DURATION`")
	f.StringVar(&o.Report, "report", "", "with --sandbox, write the JSON report to `FILE` (default: stderr)")
	f.StringArrayVar(&o.IgnoreSignals, "ignore-signal", nil, "start CMD with signal `SIG` (a name such as HUP or PIPE, or a number) ignored (repeatable)")
	addProfileFlags(c, &o.profileFlags)
	return c
}

func runRun(e *env, o runOptions, args []string) error {
	host, err := parseArchFlag("")
	if err != nil {
		return withCode(ExitFailure, err)
	}
	pf := o.profileFlags
	pf.caps = o.CapSet()
	loaded, err := loadProfile(o.profile, host, pf) // as the file has it, for --complain's patch
	if err != nil {
		return withCode(ExitFailure, err)
	}
	p, added, err := o.Prepare(loaded, host)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("%s: %w", o.profile, err))
	}
	if o.patch != "" && !o.Complain {
		return usagef("--patch needs --complain")
	}
	run, f, err := o.Compile(p, host, seccomp.Options{Strict: pf.strict})
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("%s: %w", o.profile, err))
	}
	warnSkipped(e, f, false)
	var complaints *audit.Collector
	if o.Complain {
		if complaints, err = audit.Collect(); err != nil {
			return withCode(ExitFailure, fmt.Errorf("--complain reads the kernel log: %w", err))
		}
	}

	cmd := launch.Command(run, args[0], args[1:]...)
	cmd.Filter = f
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	cmd.ForwardSignals = true
	// An audit session of its own marks CMD's tree in the kernel's
	// records, for the tree's kills and for --complain.
	cmd.AuditSession = true
	var mu sync.Mutex
	cmd.OnEvent = func(ev launch.TreeEvent) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(e.stderr, "syscage: %s\n", ev)
	}
	o.Environ = os.Environ()
	if err := o.Apply(cmd); err != nil {
		return usagef("%v", err)
	}
	if o.Sandbox {
		if err := checkOutput(o.Report); err != nil {
			return withCode(ExitFailure, fmt.Errorf("--report: %w", err))
		}
	}

	// The program must not reach into the launcher, which is unfiltered.
	if err := launch.Undumpable(); err != nil {
		return withCode(ExitFailure, err)
	}
	err = cmd.Run()
	var events []audit.Event
	if complaints != nil {
		events = complaints.Stop(cmd.Session)
		if n := complaints.Lost(); n > 0 {
			fmt.Fprintf(e.stderr, "syscage: complain: %d kernel records were lost before they could be read: the calls below may not be all; apply the patch and run again until nothing is left\n", n)
		}
		if cmd.Session == 0 {
			fmt.Fprintf(e.stderr, "syscage: complain: no audit session of its own for CMD (needs CAP_AUDIT_CONTROL): the records of processes started while it ran count too\n")
		}
	}
	var se *launch.StartError
	if errors.As(err, &se) {
		return withCode(se.ExitCode(), se)
	}
	if o.Sandbox {
		js, _ := json.MarshalIndent(cmd.Report(), "", "  ")
		js = append(js, '\n')
		if o.Report == "" {
			e.stderr.Write(js)
		} else if err := atomicfile.Write(o.Report, js); err != nil {
			return withCode(ExitFailure, fmt.Errorf("--report: %w", err))
		}
	}
	if complaints != nil {
		co := auditlog.ComplainOptions{Name: o.profile, Profile: loaded, Ran: p, Added: added, Host: host, Events: events, Limited: complaints.Limited()}
		if err := complainReport(e, o.patch, co); err != nil {
			return withCode(ExitFailure, err)
		}
	}
	st := cmd.Status
	mu.Lock()
	for _, l := range st.Lines(args[0]) {
		fmt.Fprintf(e.stderr, "syscage: %s\n", l)
	}
	mu.Unlock()
	if !st.Exited && !st.Seccomp && st.Violation == nil && complaints == nil && launch.CrashSignal(st.Signal) {
		// A program that crashes when a call it needs fails (ld.so on
		// an mmap, say) gives no hint that the profile denied it.
		fmt.Fprintf(e.stderr, "syscage: %s: killed by %s; if the profile denies a call it needs, syscage run --complain names it\n", args[0], unix.SignalString(st.Signal))
	}
	if code := st.ExitCode(); code != 0 {
		return silentExit(code)
	}
	return nil
}
