package launch

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Privilege separation: a supervisor opens what a worker needs (a
// listening socket, a file), starts the worker with those descriptors
// and nothing else (Worker), and the worker confines itself to what it
// does with them (Lockdown) before it touches any input.

// WorkerArg is the first argument with which Worker runs a worker.
const WorkerArg = "__syscage-worker"

// Worker returns a command that runs the calling program again as the
// worker name, with files as its descriptors 3, 4, ... and nothing else
// beyond 0-2. Closing the rest is the worker's part (WorkerMain), not the
// supervisor's: os/exec passes every descriptor that is not close-on-exec
// (one the supervisor opened by a raw open(2), a C library, or one that
// the program that started the supervisor left it), and the supervisor
// cannot close them between fork and exec, nor mark its own close-on-exec
// without a race with its other goroutines. The worker, once executed,
// closes every descriptor it inherited beyond files before it returns
// from WorkerMain, so one that another goroutine of the supervisor opened
// while the worker started is closed too. A nil file is an error.
func Worker(name string, files ...*os.File) (*exec.Cmd, error) {
	for i, f := range files {
		if f == nil {
			return nil, fmt.Errorf("start worker %s: file %d (descriptor %d) is nil", name, i, 3+i)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start worker %s: %w", name, err)
	}
	cmd := exec.Command(exe, WorkerArg, name, strconv.Itoa(len(files)))
	cmd.ExtraFiles = files
	return cmd, nil
}

// WorkerMain reports whether the program was started by Worker, with the
// worker's name and the descriptors the supervisor passed. Before it
// returns it closes every other descriptor the worker inherited, from
// 3+len(files) up (those the program opened itself, close-on-exec, stay
// open: the Go runtime's among them). It is an error when a descriptor
// of files was not inherited (the program was not started by Worker),
// or the others cannot be closed; the worker must not go on when err is
// set. Call it first in main: until then the inherited descriptors are
// open.
func WorkerMain() (name string, files []*os.File, ok bool, err error) {
	if len(os.Args) < 4 || os.Args[1] != WorkerArg {
		return "", nil, false, nil
	}
	name = os.Args[2]
	n, err := strconv.Atoi(os.Args[3])
	if err != nil || n < 0 {
		return name, nil, true, fmt.Errorf("worker %s: bad count of files %q", name, os.Args[3])
	}
	if err := closeInherited(3 + n); err != nil {
		return name, nil, true, fmt.Errorf("worker %s: close inherited descriptors: %w", name, err)
	}
	for i := range n {
		f, err := Inherited(3 + i)
		if err != nil {
			return name, nil, true, fmt.Errorf("worker %s: file %d: %w", name, i, err)
		}
		files = append(files, f)
	}
	return name, files, true, nil
}

// GoRuntime are the system calls a Go program's runtime makes once it
// runs that need no argument check: memory, signals, timers, the network
// poller, the cgroup CPU limit it re-reads, and, in a program linked with
// cgo, glibc's start of a thread (rseq and set_robust_list: glibc aborts
// the program, silently, when rseq registration fails). The calls the
// runtime and the os package need that could reach another process are
// checked, which WorkerProfile adds (WorkerThreads): clone, which starts
// the runtime's threads, tgkill and kill, which signal them and the
// process itself, and fcntl, which can make a descriptor signal any
// process. A worker's profile allows them and adds what the worker's own
// work needs.
var GoRuntime = []string{
	"brk", "mmap", "munmap", "madvise", "mprotect", "mremap",
	"futex", "nanosleep", "sched_yield", "sched_getaffinity", "getpid", "gettid",
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack",
	"exit", "exit_group", "restart_syscall", "rseq", "set_robust_list",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
	"read", "write", "writev", "pread64", "close", "getrandom", "clock_gettime", "clock_nanosleep",
	"timer_create", "timer_settime", "timer_delete", "setitimer",
}

// The clone(2) flags of a new thread: what every thread of a process
// shares, and what a thread library may add. The kernel reads the low
// 32 bits of the flags only (and the low 8 are the exit signal, 0 for a
// thread).
const (
	threadFlags   = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 // CLONE_VM, FS, FILES, SIGHAND, THREAD, SYSVSEM
	threadOptions = 0x80000 | 0x100000 | 0x200000 | 0x1000000         // CLONE_SETTLS, PARENT_SETTID, CHILD_CLEARTID, CHILD_SETTID
	threadMask    = 0xffffffff &^ threadOptions                       // every other flag and the exit signal must be as in threadFlags
	enosys        = 38                                                // ENOSYS
)

// The fcntl(2) commands a worker keeps: those of the Go runtime and the
// os and net packages (descriptor flags, file status flags, duplicates).
// F_SETOWN, F_SETOWN_EX and F_SETSIG are not among them, nor O_ASYNC in
// F_SETFL: with them input on a descriptor signals whatever process or
// group its owner names.
var fcntlCommands = []uint64{
	0,    // F_DUPFD
	1,    // F_GETFD
	2,    // F_SETFD
	3,    // F_GETFL
	1030, // F_DUPFD_CLOEXEC
}

const fSETFL = 4 // F_SETFL, the same on every architecture

// WorkerThreads returns the rules that let the process pid (the worker's
// own, os.Getpid()) start threads and signal itself, and nothing more:
// clone only with the flags of a thread of this process (no fork, no new
// namespace, no CLONE_PARENT or CLONE_PTRACE), clone3 answered with
// ENOSYS (its flags are in memory, out of the filter's sight; glibc then
// falls back to clone), tgkill and kill only to pid (its threads), and
// fcntl only with the commands that cannot make a descriptor signal a
// process (no F_SETOWN, F_SETOWN_EX, F_SETSIG, or O_ASYNC): so a worker
// cannot signal its supervisor or anyone else. The other ways to signal
// a process (tkill, rt_sigqueueinfo, rt_tgsigqueueinfo,
// pidfd_send_signal, ioctl FIOSETOWN) are left to the profile's default.
// goarch is the GOARCH the worker runs on: s390x passes clone's flags
// second, and O_ASYNC differs between architectures.
func WorkerThreads(pid int, goarch string) []profile.Rule {
	flagsArg := uint8(0)
	if goarch == "s390x" {
		flagsArg = 1 // CONFIG_CLONE_BACKWARDS2: clone(newsp, flags, ...)
	}
	allow := profile.Action{Kind: profile.ActAllow}
	own := []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: uint64(pid)}}
	fcntl := []string{"fcntl", "fcntl64"} // fcntl64 on 32-bit ABIs
	rules := []profile.Rule{
		{Names: []string{"clone"}, Action: allow, Comment: "the Go runtime's threads",
			Conds: []profile.Cond{{Arg: flagsArg, Op: profile.OpMaskedEQ, Value: threadMask, ValueTwo: threadFlags}}},
		{Names: []string{"clone3"}, Action: profile.Action{Kind: profile.ActErrno, Data: enosys}, Comment: "flags out of sight: glibc falls back to clone"},
		{Names: []string{"tgkill"}, Action: allow, Comment: "signals to the worker's own threads", Conds: own},
		{Names: []string{"kill"}, Action: allow, Comment: "signals to the worker itself", Conds: own},
	}
	for _, cmd := range fcntlCommands {
		rules = append(rules, profile.Rule{Names: fcntl, Action: allow, Comment: "descriptor and file flags",
			Conds: []profile.Cond{{Arg: 1, Op: profile.OpEQ, Value: cmd}}})
	}
	rules = append(rules, profile.Rule{Names: fcntl, Action: allow, Comment: "file status flags without O_ASYNC",
		Conds: []profile.Cond{{Arg: 1, Op: profile.OpEQ, Value: fSETFL}, {Arg: 2, Op: profile.OpMaskedEQ, Value: oAsync(goarch), ValueTwo: 0}}})
	return rules
}

// oAsync is O_ASYNC (FASYNC) on goarch.
func oAsync(goarch string) uint64 {
	switch goarch {
	case "mips", "mipsle", "mips64", "mips64le":
		return 0x1000
	case "sparc64":
		return 0x40
	}
	return 0x2000
}

// WorkerProfile returns a profile that allows GoRuntime, the threads of
// the calling process (WorkerThreads), and rules, and denies everything
// else with EPERM (the Go runtime reports EPERM where a kill would leave
// no trace). Build it in the worker, which it names by its process id.
func WorkerProfile(rules ...profile.Rule) *profile.Profile {
	allow := profile.Action{Kind: profile.ActAllow}
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: profile.EPERM},
		Rules:   []profile.Rule{{Names: GoRuntime, Action: allow, Comment: "the Go runtime"}},
	}
	p.Rules = append(p.Rules, WorkerThreads(os.Getpid(), runtime.GOARCH)...)
	p.Rules = append(p.Rules, rules...)
	return p
}

// AllowOn returns a rule allowing the system calls names when their
// first argument is the descriptor fd.
func AllowOn(fd int, names ...string) profile.Rule {
	return profile.Rule{
		Names:   names,
		Action:  profile.Action{Kind: profile.ActAllow},
		Conds:   []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: uint64(fd)}},
		Comment: fmt.Sprintf("on descriptor %d", fd),
	}
}

// Lockdown confines the calling process for good: p is compiled for the
// native ABI and installed with seccomp.Install on every thread (TSYNC),
// with no_new_privs. A system call of any other ABI (x32's or i386's on
// x86_64, arm's on arm64) kills the process: killing the one thread that
// made it, libseccomp's default, would leave a Go program hung on a
// thread its runtime waits for.
func Lockdown(p *profile.Profile) error {
	host, ok := arch.Native()
	if !ok {
		return fmt.Errorf("lockdown: unknown native architecture: %w", seccomp.ErrNotSupported)
	}
	f, err := seccomp.Compile(p, host, seccomp.Options{BadArch: profile.Action{Kind: profile.ActKillProcess}})
	if err != nil {
		return fmt.Errorf("lockdown: %w", err)
	}
	if _, err := seccomp.Install(f, seccomp.InstallOptions{}); err != nil {
		return fmt.Errorf("lockdown: %w", err)
	}
	return nil
}
