package launch

import (
	"fmt"
	"os"
	"os/exec"
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
// worker name, with files as its descriptors 3, 4, ... (os/exec passes
// no other descriptor). The program's main calls WorkerMain first to
// find out it is the worker.
func Worker(name string, files ...*os.File) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start worker %s: %w", name, err)
	}
	cmd := exec.Command(exe, WorkerArg, name, strconv.Itoa(len(files)))
	cmd.ExtraFiles = files
	return cmd, nil
}

// WorkerMain reports whether the program was started by Worker, with the
// worker's name and the descriptors the supervisor passed.
func WorkerMain() (name string, files []*os.File, ok bool) {
	if len(os.Args) < 4 || os.Args[1] != WorkerArg {
		return "", nil, false
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil {
		return "", nil, false
	}
	for i := range n {
		files = append(files, os.NewFile(uintptr(3+i), fmt.Sprintf("%s fd %d", os.Args[2], 3+i)))
	}
	return os.Args[2], files, true
}

// GoRuntime are the system calls a Go program's runtime makes once it
// runs: memory, threads, signals, timers, the network poller, the cgroup
// CPU limit it re-reads, and, in a program linked with cgo, glibc's start
// of a thread (rseq and set_robust_list: glibc aborts the program,
// silently, when rseq registration fails). A worker's profile allows them
// (WorkerProfile) and adds what the worker's own work needs.
var GoRuntime = []string{
	"brk", "mmap", "munmap", "madvise", "mprotect", "mremap",
	"futex", "nanosleep", "sched_yield", "sched_getaffinity", "getpid", "gettid", "tgkill",
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack",
	"clone", "clone3", "exit", "exit_group", "restart_syscall", "rseq", "set_robust_list",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
	"read", "write", "writev", "pread64", "close", "fcntl", "getrandom", "clock_gettime", "clock_nanosleep",
	"timer_create", "timer_settime", "timer_delete", "setitimer",
}

// WorkerProfile returns a profile that allows GoRuntime and rules, and
// denies everything else with EPERM (the Go runtime reports EPERM where a
// kill would leave no trace).
func WorkerProfile(rules ...profile.Rule) *profile.Profile {
	allow := profile.Action{Kind: profile.ActAllow}
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: profile.EPERM},
		Rules:   []profile.Rule{{Names: GoRuntime, Action: allow, Comment: "the Go runtime"}},
	}
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
// with no_new_privs.
func Lockdown(p *profile.Profile) error {
	host, ok := arch.Native()
	if !ok {
		return fmt.Errorf("lockdown: unknown native architecture: %w", seccomp.ErrNotSupported)
	}
	f, err := seccomp.Compile(p, host, seccomp.Options{})
	if err != nil {
		return fmt.Errorf("lockdown: %w", err)
	}
	if _, err := seccomp.Install(f, seccomp.InstallOptions{}); err != nil {
		return fmt.Errorf("lockdown: %w", err)
	}
	return nil
}
