// Package launch runs a program under a seccomp filter, and helps a Go
// program confine itself or a worker it starts.
//
// A Cmd is in the spirit of os/exec.Cmd, with a profile. Start re-executes
// the calling program as a small stage (the program must call Init first
// thing in main, or in TestMain); the stage, now the child, marks every
// inherited descriptor but stdin, stdout, stderr and the kept ones
// close-on-exec, optionally drops capabilities, sets no_new_privs,
// installs the filter on its main thread and calls execve right after
// from that thread. (Not with TSYNC: execve ends the stage's other
// threads anyway, and until then they run the Go runtime, which a strict
// profile would kill. A Go program that confines itself and goes on
// running uses seccomp.Install, which synchronizes every thread.) The filter survives execve: the program and everything it
// starts stay inside it. Any failure before execve ends the stage with a
// message on a close-on-exec status pipe, and the program never runs.
//
// The program runs in a session and process group of its own (setsid),
// like bwrap --new-session, and without a controlling terminal. A program
// that shares the caller's terminal could push a command into its input
// with ioctl(TIOCSTI), which the caller's shell then runs unconfined when
// the program ends (bubblewrap's CVE-2017-5226); the kernel refuses
// TIOCSTI on a terminal that is not the caller's controlling terminal
// (EPERM), unless the caller has CAP_SYS_ADMIN, which is also enough to
// push into any terminal it can open. So a program run as root keeps
// that power: drop CAP_SYS_ADMIN (Cmd.DropCaps) or use a profile that
// denies TIOCSTI, TIOCLINUX and TIOCCONS (checked on the low 32 bits). The launcher
// does not put the program on a pseudo-terminal of its own that it
// relays: that would not stop CAP_SYS_ADMIN either, and the program keeps
// its descriptors to the caller's terminal, so it still reads and writes
// it, and still changes its modes (job control, raw mode) as it would
// without the launcher.
//
// Out of the terminal's session, the program no longer gets the signals
// the terminal sends its foreground group (^C, ^\, a hangup, a window
// change); nor does a supervisor that signals the launcher reach it. With
// Cmd.ForwardSignals the launcher passes every catchable signal it
// receives on to the program's process group, as tini -g and dumb-init
// do (but SIGCHLD, SIGPIPE and the few the Go runtime keeps for itself:
// ForwardedSignals); a terminal's stop (^Z) stops the program with SIGSTOP and then the
// launcher, and SIGCONT resumes both. The program dies with the launcher:
// the stage is started with the parent-death signal SIGKILL, set and then
// checked against a parent that died in between, from a thread that
// lives until the program ended.
//
// Wait reports how the program ended: its exit code, 128+N when signal N
// ended it, and for a seccomp SIGSYS a Violation naming the system call,
// its ABI, the action and the rule or default that decided it. For a TRAP
// the launcher reads the siginfo itself (it attaches to the child with
// PTRACE_SEIZE when the filter can return TRAP, only to see SIGSYS); for
// a KILL the kernel sends no signal anyone can observe, and the launcher
// reads the kernel's seccomp record from /dev/kmsg (package audit) where
// it may, or asks Cmd.KernelRecord.
//
// While the program runs the launcher supervises its whole tree. It
// follows the kernel's seccomp records (from the start, when the filter
// can kill or trap) and reports each kill, and each trap the kernel
// records (with SECCOMP_FILTER_FLAG_LOG), of a process of the tree as a
// TreeEvent: to Cmd.OnEvent as it happens, in Status.Events at the end.
// The tree is the program's audit session (Cmd.AuditSession), which
// every process it starts inherits and none can leave without
// CAP_AUDIT_CONTROL; without one, only the program's own process.
//
// With Cmd.ExecOnce a second filter, installed by the stage before the
// profile's with a notification listener, sends execve and execveat of
// every ABI the host runs to the launcher (SECCOMP_RET_USER_NOTIF). The
// launcher takes the listener out of the stage (pidfd_getfd; it is
// close-on-exec, so the program never holds it), lets the stage's own
// execve go on and answers every later one EPERM, unless Cmd.ExecAllow
// allows it. A notification is read once: the path is copied from the
// caller's memory, and the answer is given only if
// SECCOMP_IOCTL_NOTIF_ID_VALID then says the call is still the one
// notified. Where the profile denies execve, its denial wins (the
// kernel takes the most severe action of the two filters). When the
// launcher is gone, or Wait has returned, the kernel answers ENOSYS: no
// process of the tree executes a program the launcher did not see.
//
// With Cmd.AllowOpen, or a Broker of the caller's (Cmd.Broker), the
// calls that name files (open, the stat family, access, readlink) are
// notified too, and the launcher does them itself: a BrokerPolicy
// decides beneath which trees a path may resolve, the kernel keeps the
// resolution inside them (openat2 RESOLVE_BENEATH), and the program gets
// the descriptor (SECCOMP_ADDFD_FLAG_SEND) or the result written to its
// buffer. A call that takes a pointer is never let go on (the kernel
// would read the memory again); see Broker.
//
// With Cmd.MemoryDenyWriteExecute the profile is transformed by
// harden.WX (memory writable and executable at once gets EPERM) and the
// program runs with PR_SET_MDWE where the kernel has it.
//
// Descriptors: a Cmd's program, like a program started by exec, gets
// stdin, stdout, stderr and ExtraFiles; the stage marks every other
// descriptor close-on-exec after the fork, so one the caller opens
// meanwhile, in another goroutine, does not reach it either. A
// privilege-separated worker (Worker, WorkerMain) is the calling
// program itself, so it closes what it inherited beyond its files first
// thing in WorkerMain. The descriptors the launcher opens for itself
// (status pipes, listeners, the broker's files) are close-on-exec from
// the start, so no other program the caller starts meanwhile gets them.
package launch
