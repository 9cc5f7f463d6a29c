package launch

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/syscage/syscage/internal/unix"
)

// rlimits lists the limits set, in a fixed order.
func (l Limits) rlimits() []stageRlimit {
	var out []stageRlimit
	for _, r := range []struct {
		res unix.Rlimit
		v   uint64
	}{{unix.RLIMIT_CPU, l.CPU}, {unix.RLIMIT_AS, l.AS}, {unix.RLIMIT_NPROC, l.NProc}, {unix.RLIMIT_FSIZE, l.FSize}, {unix.RLIMIT_NOFILE, l.NoFile}} {
		if r.v != 0 {
			out = append(out, stageRlimit{Resource: int(r.res), Value: r.v})
		}
	}
	return out
}

// stageRlimit is a limit the stage sets.
type stageRlimit struct {
	Resource int
	Value    uint64
}

// sandboxAttr puts the stage into the sandbox's namespaces, with its
// user mapping, and says in cfg which user the program runs as.
func sandboxAttr(attr *syscall.SysProcAttr, cfg *stageConfig) {
	uid, gid := os.Getuid(), os.Getgid()
	attr.Cloneflags = unix.SandboxCloneFlags
	cfg.Sandbox = &stageSandbox{}
	if uid == 0 {
		// Root of the namespace is the host's root, for the stage to set
		// up (and to execute itself); the program runs as nobody.
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: nobody, HostID: nobody, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: nobody, HostID: nobody, Size: 1}}
		attr.GidMappingsEnableSetgroups = true
		cfg.Sandbox.UID, cfg.Sandbox.GID = nobody, nobody
		return
	}
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
}

// nobody is the user and group the program runs as in a sandbox
// launched by root.
const nobody = 65534

// setupSandbox is the stage's part of the sandbox, in its namespaces:
// the mounts, the loopback, the host name; then it gives up every
// capability (and, launched by root, becomes nobody).
func setupSandbox(c *stageSandbox) error {
	if err := unix.SandboxMounts(c.RW); err != nil {
		return err
	}
	if err := unix.LoopbackUp(); err != nil {
		return fmt.Errorf("bring up the loopback: %w", err)
	}
	if err := unix.Sethostname(c.Hostname); err != nil {
		return fmt.Errorf("set the host name: %w", err)
	}
	last, err := unix.CapLast()
	if err != nil {
		return fmt.Errorf("drop capabilities: %w", err)
	}
	if c.UID == 0 {
		if err := unix.DropCaps(0, last); err != nil {
			return fmt.Errorf("drop capabilities: %w", err)
		}
		return nil
	}
	// Keep only what switching the user needs; the switch from root
	// clears the rest (permitted, effective, ambient).
	if err := unix.DropCaps(1<<unix.CAP_SETUID|1<<unix.CAP_SETGID, last); err != nil {
		return fmt.Errorf("drop capabilities: %w", err)
	}
	if err := unix.SwitchUser(c.UID, c.GID); err != nil {
		return fmt.Errorf("become %d: %w", c.UID, err)
	}
	return nil
}

// deadline kills the sandbox's init at the sandbox's timeout: it is pid 1
// of its namespace, so the kernel kills the program and its tree.
func (s *sysCmd) deadline(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		s.mu.Lock()
		s.timedOut = true
		s.mu.Unlock()
		s.cmd.Process.Kill()
	case <-s.ended:
	}
}

// Report is the account of the run, after Wait.
func (c *Cmd) Report() Report {
	st := c.Status
	r := Report{Exited: st.Exited, Code: st.Code, ExitCode: st.ExitCode(), Denials: []Denial{}}
	if !st.Exited {
		r.Code = 0
		r.Signal = unix.SignalName(st.Signal)
		if r.Signal == "" {
			r.Signal = fmt.Sprintf("signal %d", int(st.Signal))
		}
	}
	if st.Violation != nil {
		r.Seccomp = st.Violation.String()
	}
	s := c.sys
	if s == nil {
		return r
	}
	s.mu.Lock()
	r.TimedOut = s.timedOut
	s.mu.Unlock()
	if !s.endTime.IsZero() {
		r.WallSeconds = s.endTime.Sub(s.startTime).Seconds()
	}
	if ps := s.cmd.ProcessState; ps != nil {
		r.UserSeconds, r.SystemSeconds = ps.UserTime().Seconds(), ps.SystemTime().Seconds()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSSKiB = int64(ru.Maxrss) // int32 on 32-bit hosts
		}
	}
	for _, e := range st.Events {
		r.Denials = append(r.Denials, denial(e))
	}
	return r
}

// runInit is pid 1 of the sandbox's pid namespace, after setupSandbox.
// The kernel delivers to a namespace's init, from inside the namespace,
// only the signals it catches: run as pid 1, a program would not die of
// SIGXFSZ past its file size limit (its write fails with EFBIG), of
// SIGPIPE, of `kill -TERM 1`, of its own raise(SIGTERM). So the init
// forks and executes the stage again, which goes on as usual (filter,
// limits, execve) and becomes the program as pid 2, and stays a minimal
// reaper: it forwards every signal it catches to the program, reaps the
// orphans of the namespace, and when the program ended writes its wait
// status on the exit pipe to the launcher, which reports it as the
// program's (the init itself cannot die of the program's signal), and
// exits; the kernel then kills what is left in the namespace.
//
// Fork without exec is unsafe in Go: the child is started with
// syscall.ForkExec, which executes the stage right away. The init has no
// capabilities (setupSandbox dropped them, and as root made it nobody)
// and is in every namespace of the sandbox, but carries no seccomp
// filter: the filter is installed by the forked stage, on the program
// only, as the init (a Go runtime) needs calls a strict profile denies;
// the init runs only this code, which makes wait4, kill, read and write
// calls on its pipes, and the Go runtime's own. It is not dumpable, so
// the program, though the same user, cannot ptrace it or read its memory
// (that would need CAP_SYS_PTRACE), and has no_new_privs. The init
// counts as one process of the user against --limit nproc.
//
// runInit never returns.
func runInit(c stageConfig, status *os.File, fail func(kind, format string, a ...any)) {
	exitW := os.NewFile(uintptr(c.Sandbox.Exit), "exit")
	ack := os.NewFile(uintptr(c.Sandbox.Ack), "ack")
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0); e != 0 {
		fail("setup", "sandbox init: set PR_SET_DUMPABLE: %v", e)
	}
	if err := unix.SetNoNewPrivs(); err != nil {
		fail("setup", "sandbox init: set PR_SET_NO_NEW_PRIVS: %v", err)
	}
	// Caught from before the fork: a signal sent to pid 1 before the
	// program runs is passed on to it, not lost.
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)

	cc := c
	sb := *c.Sandbox
	sb.Forked = true
	cc.Sandbox = &sb
	js, err := json.Marshal(cc)
	if err != nil {
		fail("setup", "sandbox init: %v", err)
	}
	cr, cw, err := os.Pipe()
	if err != nil {
		fail("setup", "sandbox init: %v", err)
	}
	go func() {
		cw.Write(js) // a large filter may not fit the pipe's buffer
		cw.Close()
	}()
	// The stage inherits the configuration and status pipes, which are
	// close-on-exec in the init.
	for _, fd := range []int{int(cr.Fd()), c.Status} {
		if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); e != 0 {
			fail("setup", "sandbox init: %v", e)
		}
	}
	env := append(os.Environ()[:0:0], os.Environ()...)
	pid, err := syscall.ForkExec("/proc/self/exe", []string{os.Args[0], StageArg, strconv.Itoa(int(cr.Fd()))}, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err != nil {
		fail("setup", "sandbox init: start the stage: %v", err)
	}
	cr.Close()
	status.Close() // the launcher reads the stage's status, and its end
	// The launcher finds the program's pid among the init's children:
	// nothing is reaped until it has (it closes the ack pipe).
	io.Copy(io.Discard, ack)
	ack.Close()
	go func() {
		for sig := range sigs {
			if s, ok := sig.(syscall.Signal); ok && s != syscall.SIGCHLD {
				syscall.Kill(pid, s)
			}
		}
	}()
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			// ECHILD: the program is gone (never, as it is reaped here).
			os.Exit(125)
		}
		if got != pid || !(ws.Exited() || ws.Signaled()) {
			continue // an orphan of the namespace
		}
		fmt.Fprintf(exitW, "%d\n", uint32(ws))
		exitW.Close()
		if ws.Exited() {
			os.Exit(ws.ExitStatus())
		}
		os.Exit(128 + int(ws.Signal()))
	}
}

// programPid returns the host pid of the program in the sandbox: the
// one child of the sandbox's init, process init.
func programPid(init int) (int, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", init))
	if err != nil {
		return 0, err
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", init, t.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			return strconv.Atoi(f[0])
		}
	}
	return 0, fmt.Errorf("the sandbox's init %d has no child", init)
}
