package launch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/interp"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// StageArg is the first argument with which Start runs the stage.
const StageArg = "__syscage-launch-stage"

func init() {
	if len(os.Args) > 1 && os.Args[1] == StageArg {
		// The stage calls execve on the main thread, the one a tracing
		// launcher attached to: if another thread called it, the kernel
		// would hand the process to that thread and the trace would end.
		// Locking in init keeps main on the main thread.
		runtime.LockOSThread()
	}
}

// Init runs the stage and does not return when the program was started
// as one by Start; otherwise it does nothing. Call it first in main, or
// in TestMain, of any program that uses Cmd.
func Init() {
	if len(os.Args) > 1 && os.Args[1] == StageArg {
		RunStage(os.Args[2:])
	}
}

// stageConfig is what Start sends the stage on a pipe.
type stageConfig struct {
	Path     string
	Args     []string
	Env      []string
	Keep     []int // descriptors to keep open beyond 0, 1, 2
	DropCaps bool
	KeepCaps uint64
	Program  bpf.Program
	Flags    seccomp.Flags
	Status   int  // descriptor of the status pipe
	Session  bool // start a new audit session
}

// stageResult is what the stage reports when it cannot exec.
type stageResult struct {
	Kind string // "notfound", "noexec", "filter", "setup"
	Msg  string
}

// RunStage is the stage: args are what follow StageArg. It never
// returns. Programs that call Init need not call it.
func RunStage(args []string) {
	runtime.LockOSThread()
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "syscage launch stage: want one argument, the configuration descriptor\n")
		os.Exit(125)
	}
	fd, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "syscage launch stage: %v\n", err)
		os.Exit(125)
	}
	cf := os.NewFile(uintptr(fd), "config")
	var c stageConfig
	err = json.NewDecoder(cf).Decode(&c)
	cf.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "syscage launch stage: read configuration: %v\n", err)
		os.Exit(125)
	}
	status := os.NewFile(uintptr(c.Status), "status")
	fail := func(kind, format string, a ...any) {
		json.NewEncoder(status).Encode(stageResult{Kind: kind, Msg: fmt.Sprintf(format, a...)})
		os.Exit(125)
	}
	unix.SetCloseOnExec(c.Status)
	if err := unix.CloseOnExecExcept(c.Keep); err != nil {
		fail("setup", "close inherited descriptors: %v", err)
	}
	if c.Session {
		// A new audit session for the program's tree; refused without
		// CAP_AUDIT_CONTROL, and then the parent reads no session.
		os.WriteFile("/proc/self/loginuid", []byte(strconv.Itoa(os.Getuid())), 0)
	}
	if c.DropCaps {
		last, err := unix.CapLast()
		if err != nil {
			fail("setup", "drop capabilities: %v", err)
		}
		if err := unix.DropCaps(c.KeepCaps, last); err != nil {
			fail("setup", "drop capabilities: %v", err)
		}
	}
	// Nothing but the install and execve from here on. The filter goes on
	// this thread only, the one that calls execve: the program inherits
	// it from this thread, and execve ends the stage's other threads. With
	// TSYNC the Go runtime's other threads (sysmon sleeping in nanosleep,
	// ...) would run under the profile until then, and a strict profile
	// would kill the stage before the program started. This thread must
	// not wait either (a futex while the garbage collector stops the
	// world, or for its P after a system call) nor take a signal (its
	// handler returns with rt_sigreturn): execve's arguments are made
	// first, the collector is off, the stage runs without preemption
	// signals (Start sets GODEBUG=asyncpreemptoff=1), seccomp(2) and
	// execve are raw system calls, and execve comes right after.
	path, err := syscall.BytePtrFromString(c.Path)
	if err != nil {
		fail("setup", "exec %s: %v", c.Path, err)
	}
	argv, err := cStrings(c.Args)
	if err != nil {
		fail("setup", "exec %s: arguments: %v", c.Path, err)
	}
	envv, err := cStrings(c.Env)
	if err != nil {
		fail("setup", "exec %s: environment: %v", c.Path, err)
	}
	debug.SetGCPercent(-1)
	runtime.Gosched() // a fresh time slice: the install and execve take microseconds
	if _, err := seccomp.InstallProgram(c.Program, seccomp.InstallOptions{Flags: c.Flags, NoTSync: true, CallingThread: true}); err != nil {
		fail("filter", "%v", err)
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	kind := "noexec"
	if errno == syscall.ENOENT {
		kind = "notfound"
	}
	fail(kind, "exec %s: %v", c.Path, errno)
}

// cStrings returns ss as a NULL-terminated array of C strings.
func cStrings(ss []string) ([]*byte, error) {
	out := make([]*byte, len(ss)+1)
	for i, s := range ss {
		p, err := syscall.BytePtrFromString(s)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// sysCmd is the state of a started Cmd.
type sysCmd struct {
	cmd     *exec.Cmd
	native  arch.Arch
	badArch profile.Action
	kmsg    *audit.Follower // the kernel log, followed from before the start
	traced  bool
	trace   chan traceResult // the tracer's findings, when traced
}

// traceResult is what the tracer saw.
type traceResult struct {
	sigsys *unix.Sigsys // the last seccomp SIGSYS delivered
	execs  int
}

// Run starts the program and waits for it.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

func startErr(kind error, format string, a ...any) error {
	return &StartError{Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

// Start starts the program under the filter. It returns once the program
// runs (the stage called execve) or failed to start, in which case the
// error is a *StartError and the program never ran.
func (c *Cmd) Start() error {
	if c.sys != nil {
		return errors.New("launch: already started")
	}
	native, ok := arch.Native()
	if !ok {
		return startErr(ErrSetup, "launch: unknown native architecture: %v", seccomp.ErrNotSupported)
	}
	path, err := lookPath(c.Path)
	if err != nil {
		return err
	}
	f := c.Filter
	if f == nil {
		if c.Profile == nil {
			return startErr(ErrSetup, "launch %s: no profile and no filter", c.Path)
		}
		f, err = seccomp.Compile(c.Profile, native, c.Compile)
		if err != nil {
			return startErr(ErrFilter, "compile the profile: %v", err)
		}
	}
	if err := c.checkExecve(f, native); err != nil {
		return err
	}
	caps, err := capMask(c.KeepCaps)
	if err != nil {
		return startErr(ErrSetup, "keep capabilities: %v", err)
	}
	stage := c.Stage
	if stage == "" {
		if stage, err = os.Executable(); err != nil {
			return startErr(ErrSetup, "launch: find the stage: %v", err)
		}
	}
	args := c.Args
	if len(args) == 0 {
		args = []string{c.Path}
	}
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	cfg := stageConfig{
		Path: path, Args: args, Env: env,
		DropCaps: c.DropCaps, KeepCaps: caps,
		Program: f.Program, Flags: c.Flags,
		Session: c.AuditSession,
	}
	for i, x := range c.ExtraFiles {
		if x != nil {
			cfg.Keep = append(cfg.Keep, 3+i)
		}
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return startErr(ErrSetup, "launch: %v", err)
	}
	defer cfgW.Close()
	stR, stW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		return startErr(ErrSetup, "launch: %v", err)
	}
	defer stR.Close()
	cfgFD := 3 + len(c.ExtraFiles)
	cfg.Status = cfgFD + 1

	cmd := exec.Command(stage, StageArg, strconv.Itoa(cfgFD))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.ExtraFiles = append(slices.Clone(c.ExtraFiles), cfgR, stW)
	// The program gets cfg.Env. The stage's own: no preemption signals,
	// which would make the thread that installed the filter run
	// rt_sigreturn before its execve.
	cmd.Env = []string{"GODEBUG=asyncpreemptoff=1"}
	cmd.Dir = c.Dir
	s := &sysCmd{cmd: cmd, native: native, badArch: f.BadArch, traced: canTrap(f.Program)}
	if c.KernelRecord == nil && canKill(f.Program) {
		// Follow the kernel log from before the start, for the record of
		// a KILL. Without the right to read it there is no report.
		if fol, err := audit.Follow(audit.FollowOptions{Source: audit.SourceAuto}); err == nil {
			s.kmsg = fol
		}
	}
	if s.traced {
		err = s.startTraced()
	} else {
		err = cmd.Start()
	}
	cfgR.Close()
	stW.Close()
	if err != nil {
		if s.kmsg != nil {
			s.kmsg.Close()
		}
		return startErr(ErrSetup, "launch: start the stage %s: %v", stage, err)
	}
	c.sys = s
	c.Process = cmd.Process
	js, _ := json.Marshal(cfg)
	_, werr := cfgW.Write(js)
	cfgW.Close()
	msg, rerr := io.ReadAll(stR)
	if len(bytes.TrimSpace(msg)) == 0 && werr == nil && rerr == nil {
		// execve closed the status pipe.
		if c.AuditSession {
			c.Session = auditSession(cmd.Process.Pid)
		}
		return nil
	}
	c.wait()
	var r stageResult
	if err := json.Unmarshal(msg, &r); err != nil {
		r = stageResult{Kind: "setup", Msg: fmt.Sprintf("launch: the stage ended without starting %s (%s)", c.Path, c.Status)}
	}
	kind := map[string]error{"notfound": ErrNotFound, "noexec": ErrNoExec, "filter": ErrFilter}[r.Kind]
	if kind == nil {
		kind = ErrSetup
	}
	if kind == ErrNotFound {
		// ENOENT for a file that exists: its interpreter is missing.
		if why := interp.Missing(c.Path); why != "" {
			kind, r.Msg = ErrNoExec, fmt.Sprintf("exec %s: %s", c.Path, why)
		}
	}
	return &StartError{Kind: kind, Msg: r.Msg}
}

// lookPath finds the program as execve will, and tells a missing one
// from one that cannot run before anything starts.
func lookPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		if !filepath.IsAbs(path) {
			// exec.ErrDot is refused above; make relative paths explicit.
			path, _ = filepath.Abs(path)
		}
		return path, nil
	}
	fi, serr := os.Stat(name)
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(serr, os.ErrNotExist):
		return "", startErr(ErrNotFound, "%s: %v", name, ErrNotFound)
	case serr == nil && fi.IsDir():
		return "", startErr(ErrNoExec, "%s: is a directory", name)
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err
	}
	return "", startErr(ErrNoExec, "%s: cannot execute: %v", name, err)
}

// checkExecve refuses a filter that denies the execve the stage makes.
func (c *Cmd) checkExecve(f *seccomp.Filter, native arch.Arch) error {
	nr, ok := native.SyscallNumber("execve")
	if !ok {
		return nil
	}
	ret, _, err := f.Eval(native, seccomp.DataFor(native, nr))
	if err != nil {
		return startErr(ErrFilter, "evaluate the filter: %v", err)
	}
	a := seccomp.ActionOf(ret)
	if a.Kind == profile.ActAllow || a.Kind == profile.ActLog {
		return nil
	}
	v := explain(c.Profile, native, f.BadArch, Record{Arch: native, Nr: nr, Ret: ret}, "")
	return startErr(ErrFilter, "the profile denies execve itself: %s; %s could never start (allow execve in the profile)", v, c.Path)
}

// canTrap reports whether prog can return SECCOMP_RET_TRAP.
func canTrap(prog bpf.Program) bool {
	for _, ins := range prog {
		if ins.Op == bpf.BPF_RET|bpf.BPF_K && ins.K&seccomp.SECCOMP_RET_ACTION_FULL == seccomp.SECCOMP_RET_TRAP {
			return true
		}
	}
	return false
}

// startTraced starts the stage and attaches to it, from a goroutine
// locked to its thread for good (ptrace requests must come from the
// thread that attached), which then follows the stops until the end.
func (s *sysCmd) startTraced() error {
	started := make(chan error, 1)
	s.trace = make(chan traceResult, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			close(s.trace)
			return
		}
		pid := s.cmd.Process.Pid
		if err := unix.PtraceSeizeProcess(pid); err != nil {
			// No report of TRAP, but the filter is the same.
			s.traced = false
			started <- nil
			close(s.trace)
			return
		}
		started <- nil
		s.trace <- follow(pid)
	}()
	return <-started
}

// follow passes every stop of the traced process pid and its threads on
// until pid ends, and keeps the siginfo of the last seccomp SIGSYS.
func follow(pid int) traceResult {
	var r traceResult
	for {
		tid, ws, mainExited, err := unix.WaitTracee(pid)
		if err != nil || mainExited {
			return r
		}
		if ws.Exited() || ws.Signaled() {
			continue // a thread ended
		}
		sig := ws.StopSignal()
		event := int(ws>>16) & 0xff
		switch {
		case event == unix.PTRACE_EVENT_EXEC:
			if tid == pid {
				r.execs++
			}
			err = unix.PtraceCont(tid, 0)
		case event == unix.PTRACE_EVENT_STOP:
			if sig == unix.SIGSTOP || sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU {
				err = unix.PtraceListen(tid) // group-stop: stay stopped
			} else {
				err = unix.PtraceCont(tid, 0) // a new thread's first stop
			}
		case event != 0: // PTRACE_EVENT_CLONE
			err = unix.PtraceCont(tid, 0)
		default: // signal-delivery-stop: deliver it
			if sig == unix.SIGSYS {
				if si, err := unix.PtraceSigsys(tid); err == nil && si.Code == unix.SYS_SECCOMP {
					r.sigsys = &si
				}
			}
			err = unix.PtraceCont(tid, int(sig))
		}
		if err != nil && !errors.Is(err, syscall.ESRCH) {
			return r
		}
	}
}

// Wait waits for the program to end and sets Status. The error is nil
// for exit status 0, else an *ExitError.
func (c *Cmd) Wait() error {
	if c.sys == nil {
		return errors.New("launch: not started")
	}
	c.wait()
	if c.Status.Exited && c.Status.Code == 0 {
		return nil
	}
	return &ExitError{Status: c.Status}
}

func (c *Cmd) wait() {
	s := c.sys
	if s.kmsg != nil {
		defer s.kmsg.Close()
	}
	var tr traceResult
	if s.trace != nil {
		tr = <-s.trace
	}
	s.cmd.Wait()
	ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		c.Status = Status{Exited: true, Code: s.cmd.ProcessState.ExitCode()}
		return
	}
	switch {
	case ws.Exited():
		c.Status = Status{Exited: true, Code: ws.ExitStatus()}
		if tr.sigsys != nil {
			// The program caught the SIGSYS of a TRAP and exited.
			c.Status.Violation = c.trapViolation(tr.sigsys)
		}
		return
	case ws.Signaled():
		c.Status = Status{Signal: ws.Signal()}
	default:
		c.Status = Status{Exited: true, Code: s.cmd.ProcessState.ExitCode()}
		return
	}
	if c.Status.Signal != syscall.SIGSYS {
		return
	}
	c.Status.Seccomp = true
	if tr.sigsys != nil {
		if c.Status.Violation = c.trapViolation(tr.sigsys); c.Status.Violation != nil {
			return
		}
	}
	find := c.KernelRecord
	if find == nil && s.kmsg != nil {
		find = func(pid int) (Record, bool) { return killRecord(s.kmsg, pid, kernelLogWait) }
	}
	if find != nil {
		if r, ok := find(c.Process.Pid); ok {
			c.Status.Violation = explain(c.Profile, s.native, s.badArch, r, "kernel log")
		}
	}
}

// kernelLogWait is how long Wait waits for the kernel's record of a KILL
// to reach the kernel log (the audit subsystem writes it from a thread of
// its own, after the process died).
const kernelLogWait = 2 * time.Second

// killRecord returns the record of the seccomp KILL that ended process
// pid, waiting for it at most timeout.
func killRecord(f *audit.Follower, pid int, timeout time.Duration) (Record, bool) {
	t := time.AfterFunc(timeout, func() { f.Close() })
	defer t.Stop()
	for {
		e, err := f.Next()
		var se *audit.SyntaxError
		switch {
		case errors.As(err, &se):
			continue
		case err != nil:
			return Record{}, false
		case e.PID == pid && e.Killed() && e.Arch != arch.Invalid:
			return Record{Arch: e.Arch, Nr: e.Nr, Ret: e.Code}, true
		}
	}
}

// canKill reports whether prog can return a KILL action.
func canKill(prog bpf.Program) bool {
	for _, ins := range prog {
		if ins.Op != bpf.BPF_RET|bpf.BPF_K {
			continue
		}
		switch ins.K & seccomp.SECCOMP_RET_ACTION_FULL {
		case seccomp.SECCOMP_RET_KILL_PROCESS, seccomp.SECCOMP_RET_KILL_THREAD:
			return true
		}
	}
	return false
}

// trapViolation explains the siginfo of a TRAP.
func (c *Cmd) trapViolation(si *unix.Sigsys) *Violation {
	a, ok := arch.FromAuditNr(si.Arch, si.Syscall)
	if !ok {
		return nil
	}
	ret := seccomp.SECCOMP_RET_TRAP | uint32(si.Data)
	r := Record{Arch: a, Nr: si.Syscall, Ret: ret, Args: si.Args, HasArgs: si.HasArgs}
	return explain(c.Profile, c.sys.native, c.sys.badArch, r, "siginfo")
}

// auditSession returns the audit session id of process pid, or 0 when it
// has none of its own.
func auditSession(pid int) uint32 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/sessionid", pid))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 32)
	if err != nil || n == 0xffffffff {
		return 0
	}
	if self, err := os.ReadFile("/proc/self/sessionid"); err == nil && bytes.Equal(bytes.TrimSpace(self), bytes.TrimSpace(b)) {
		return 0 // the launcher's own: the write was refused
	}
	return uint32(n)
}
