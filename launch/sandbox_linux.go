package launch

import (
	"fmt"
	"os"
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

// deadline kills the program at the sandbox's timeout: it is pid 1 of
// its namespace, so the kernel kills the rest of its tree.
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
