package launch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/interp"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
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
	MDWE     bool // set PR_SET_MDWE where the kernel has it
	// Ignore are the signals the program starts with ignored (bit N-1
	// for signal N); every other one has its default disposition, and
	// the signal mask is empty.
	Ignore uint64
	// Notify is installed before Program, with a listener whose number
	// the stage reports on the status pipe (ExecOnce).
	Notify bpf.Program
	// Sandbox is set up when the stage runs in the sandbox's namespaces.
	Sandbox *stageSandbox
}

// stageSandbox is the sandbox's part of the stage's configuration.
type stageSandbox struct {
	RW       []string
	Hostname string
	Limits   []stageRlimit
	// UID and GID, when not 0, are the user the program runs as (in the
	// namespace, mapped to the host's same ids).
	UID, GID int
	// Exit and Ack are the descriptors of the sandbox init's pipes to
	// the launcher (see runInit); Forked is set in the configuration the
	// init gives the stage it forks, which skips what the init did.
	Exit, Ack int
	Forked    bool
}

// stageResult is what the stage reports when it cannot exec.
type stageResult struct {
	Kind string // "notfound", "noexec", "filter", "execve", "setup"
	Msg  string
	// With "execve": the filter's verdict on the stage's execve, and the
	// arguments it was judged with.
	Ret  uint32
	Args [6]uint64
	// With "listener": the descriptor of the notification listener.
	FD int
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
	if c.Session && (c.Sandbox == nil || !c.Sandbox.Forked) {
		// A new audit session for the program's tree; refused without
		// CAP_AUDIT_CONTROL, and then the parent reads no session.
		os.WriteFile("/proc/self/loginuid", []byte(strconv.Itoa(os.Getuid())), 0)
	}
	if c.Sandbox != nil && !c.Sandbox.Forked {
		if err := setupSandbox(c.Sandbox); err != nil {
			fail("setup", "sandbox: %v", err)
		}
		// Pid 1 of the namespace stays a reaper; the rest of the stage
		// runs in its child, which becomes the program. runInit does
		// not return.
		runInit(c, status, fail)
	}
	if c.Sandbox != nil {
		// setupSandbox dropped every capability.
		c.DropCaps = false
	}
	if c.MDWE {
		// Where the kernel lacks it (before 6.3: EINVAL), the filter
		// alone denies writable and executable memory.
		if err := unix.SetMDWE(); err != nil && err != syscall.EINVAL {
			fail("setup", "set PR_SET_MDWE: %v", err)
		}
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
	// The filter must allow this very execve, with these arguments, or
	// the program would never run and its failure would read as the
	// program's (ENOENT for "not found", a SIGSYS for "killed"): ask the
	// filter in the VM with the exact seccomp_data the kernel will build.
	execArgs := [6]uint64{uint64(uintptr(unsafe.Pointer(path))), uint64(uintptr(unsafe.Pointer(&argv[0]))), uint64(uintptr(unsafe.Pointer(&envv[0])))}
	if ret, err := execveVerdict(c.Program, execArgs); err != nil {
		fail("filter", "%v", err)
	} else if a := ret & seccomp.SECCOMP_RET_ACTION_FULL; a != seccomp.SECCOMP_RET_ALLOW && a != seccomp.SECCOMP_RET_LOG {
		json.NewEncoder(status).Encode(stageResult{Kind: "execve", Ret: ret, Args: execArgs})
		os.Exit(125)
	}
	if len(c.Notify) > 0 {
		// Before the profile's filter, which may deny the write: the
		// launcher takes the listener out of this process (pidfd_getfd)
		// and answers this thread's execve. The listener is
		// close-on-exec: the program never holds it.
		in, err := seccomp.InstallProgram(c.Notify, seccomp.InstallOptions{Flags: seccomp.SECCOMP_FILTER_FLAG_NEW_LISTENER, NoTSync: true, CallingThread: true})
		if err != nil {
			fail("filter", "install the exec filter: %v", err)
		}
		if err := json.NewEncoder(status).Encode(stageResult{Kind: "listener", FD: in.ListenerFD}); err != nil {
			os.Exit(125)
		}
	}
	debug.SetGCPercent(-1)
	if c.Sandbox != nil {
		// Last, as the address-space limit may leave the stage little
		// to allocate.
		for _, r := range c.Sandbox.Limits {
			if err := unix.SetRlimit(unix.Rlimit(r.Resource), r.Value); err != nil {
				fail("setup", "sandbox: set resource limit %d: %v", r.Resource, err)
			}
		}
	}
	runtime.Gosched() // a fresh time slice: the install and execve take microseconds
	// The program starts with default signal dispositions and an empty
	// mask, but for Ignore: not with what the launcher's caller ignored
	// or blocked, which the stage inherited through the launcher (an
	// ignored SIGHUP or SIGINT, the Go runtime keeps; a blocked mask).
	// From here on no Go handler can run on this thread.
	if err := unix.ResetSignals(c.Ignore); err != nil {
		fail("setup", "reset signal dispositions: %v", err)
	}
	if _, err := seccomp.InstallProgram(c.Program, seccomp.InstallOptions{Flags: c.Flags, NoTSync: true, CallingThread: true}); err != nil {
		fail("filter", "%v", err)
	}
	errno := unix.ExecveRaw(uintptr(execArgs[0]), uintptr(execArgs[1]), uintptr(execArgs[2]))
	runtime.KeepAlive(path)
	runtime.KeepAlive(argv)
	runtime.KeepAlive(envv)
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
	cmd    *exec.Cmd
	events *events
	// followDone and execDone are closed when the tree's record follower
	// and the exec supervisor have returned (nil when not started).
	followDone, execDone chan struct{}
	profile              *profile.Profile // the profile the filter was compiled from, as run
	prog                 bpf.Program      // the filter the program runs under
	native               arch.Arch
	badArch              profile.Action
	kmsg                 *audit.Follower // the kernel log, followed from before the start
	traced               bool
	trace                chan traceResult // the tracer's findings, when traced
	ended                chan struct{}    // closed when the program has been waited for
	// In the sandbox: the read end of the init's exit pipe, the write
	// end of its ack pipe (closed once pid is known), and the program's
	// pid (else the stage's).
	exitR, ackW        *os.File
	pid                int
	signals            chan os.Signal // the signals to forward, with ForwardSignals
	allDenials         bool           // follow ERRNO records too (Sandbox)
	mu                 sync.Mutex
	timedOut           bool // killed at the sandbox's timeout
	startTime, endTime time.Time
	waited             sync.Once
}

// traceResult is what the tracer saw.
type traceResult struct {
	sigsys *unix.Sigsys // the last SIGSYS delivered that was a TRAP of the filter
	// other is set when a SIGSYS that was not seccomp's (sent by kill(2),
	// or forged by the program itself with rt_sigqueueinfo(2), which lets
	// a process send itself any siginfo, si_code SYS_SECCOMP included)
	// was delivered to a thread that does not catch or ignore it: that
	// SIGSYS ended the program.
	other bool
	execs int
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
	prof := c.Profile
	f := c.Filter
	if f == nil {
		if c.Profile == nil {
			return startErr(ErrSetup, "launch %s: no profile and no filter", c.Path)
		}
		if c.MemoryDenyWriteExecute {
			if prof, _, err = harden.WX(prof, native); err != nil {
				return startErr(ErrFilter, "deny writable and executable memory: %v", err)
			}
		}
		f, err = seccomp.Compile(prof, native, c.Compile)
		if err != nil {
			return startErr(ErrFilter, "compile the profile: %v", err)
		}
	}
	if c.MemoryDenyWriteExecute {
		if err := checkWX(f.Program, native); err != nil {
			return startErr(ErrFilter, "%v", err)
		}
	}
	pflags, err := profileFlags(c.Profile)
	if err != nil {
		return startErr(ErrFilter, "%v", err)
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
	var allowIDs map[fileID]string
	var notify bpf.Program
	var notifyNames []string
	broker, policy := c.Broker, "broker"
	if len(c.AllowOpen) > 0 {
		if broker != nil {
			return startErr(ErrSetup, "launch: AllowOpen and Broker together: give the rules as the Broker's policy (OpenRules)")
		}
		opens := slices.Clone(c.AllowOpen)
		if !c.NoDefaultOpens {
			opens = append(opens, DefaultOpens...)
		}
		broker, policy = &Broker{Policy: OpenRules(opens)}, "allow-open"
	}
	if broker != nil {
		if broker.Policy == nil {
			return startErr(ErrSetup, "launch: a Broker without a Policy")
		}
		notifyNames = append(notifyNames, brokerNotified()...)
	}
	if len(notifyNames) > 0 || c.ExecOnce {
		// Always with a notify filter: the stage's own execve tells the
		// launcher where the stage ends and the program begins.
		notifyNames = append(notifyNames, "execve", "execveat")
	}
	if len(notifyNames) > 0 {
		if notify, err = notifyProgram(native, notifyNames); err != nil {
			return startErr(ErrFilter, "notify: %v", err)
		}
	}
	if c.ExecOnce {
		if allowIDs, err = execAllowIDs(c.ExecAllow); err != nil {
			return startErr(ErrSetup, "%v", err)
		}
	} else if len(c.ExecAllow) > 0 {
		return startErr(ErrSetup, "launch: ExecAllow needs ExecOnce")
	}
	var ignore uint64
	for _, sig := range c.IgnoreSignals {
		if sig < 1 || sig > 64 || sig == syscall.SIGKILL || sig == syscall.SIGSTOP {
			return startErr(ErrSetup, "launch: signal %d cannot be ignored", int(sig))
		}
		ignore |= 1 << (sig - 1)
	}
	cfg := stageConfig{
		Ignore: ignore,
		Notify: notify,
		Path:   path, Args: args, Env: env,
		DropCaps: c.DropCaps, KeepCaps: caps,
		Program: f.Program, Flags: c.Flags | pflags,
		Session: c.AuditSession, MDWE: c.MemoryDenyWriteExecute,
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
	var sbExitR, sbAckW *os.File
	var sbChild []*os.File // the init's ends, closed once it started
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
	// A session of its own: the program has no controlling terminal, so
	// it cannot push input into the caller's terminal with TIOCSTI (the
	// kernel allows that only on the caller's controlling terminal,
	// unless it has CAP_SYS_ADMIN), nor get its signals; see the package
	// documentation. It dies with the launcher: SIGKILL when the thread
	// that started it ends (startLocked keeps that thread until the
	// program ended); the child checks after setting it that the launcher
	// is still its parent, and kills itself if not.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	if c.Sandbox != nil {
		sandboxAttr(cmd.SysProcAttr, &cfg)
		cfg.Sandbox.RW, cfg.Sandbox.Hostname, cfg.Sandbox.Limits = c.Sandbox.RW, c.Sandbox.Hostname, c.Sandbox.Limits.rlimits()
		if cfg.Sandbox.Hostname == "" {
			cfg.Sandbox.Hostname = "sandbox"
		}
		for _, p := range c.Sandbox.RW {
			if !filepath.IsAbs(p) {
				return startErr(ErrSetup, "launch: sandbox: writable path %q is not absolute", p)
			}
		}
		// Every denial is logged, and followed.
		cfg.Flags |= seccomp.SECCOMP_FILTER_FLAG_LOG
		exitR, exitW, err := os.Pipe()
		if err != nil {
			return startErr(ErrSetup, "launch: %v", err)
		}
		ackR, ackW, err := os.Pipe()
		if err != nil {
			exitR.Close()
			exitW.Close()
			return startErr(ErrSetup, "launch: %v", err)
		}
		sbExitR, sbAckW, sbChild = exitR, ackW, []*os.File{exitW, ackR}
		cfg.Sandbox.Exit, cfg.Sandbox.Ack = cfg.Status+1, cfg.Status+2
		cmd.ExtraFiles = append(cmd.ExtraFiles, exitW, ackR)
	}
	s := &sysCmd{events: newEvents(c.OnEvent), cmd: cmd, profile: prof, prog: f.Program, native: native, badArch: f.BadArch, traced: canTrap(f.Program), ended: make(chan struct{}), exitR: sbExitR, ackW: sbAckW}
	if c.Sandbox != nil {
		// The tracer would follow the init, not the program: the
		// kernel log reports the sandbox's traps.
		s.traced = false
	}
	s.allDenials = c.Sandbox != nil
	if c.KernelRecord == nil && (canKill(f.Program) || s.allDenials) {
		// Follow the kernel log from before the start, for the record of
		// a KILL. Without the right to read it there is no report.
		if fol, err := audit.Follow(audit.FollowOptions{Source: audit.SourceAuto}); err == nil {
			s.kmsg = fol
		}
	}
	if c.ForwardSignals {
		// From before the start: a signal that comes while the stage
		// runs is passed on once the program runs.
		s.signals = make(chan os.Signal, 64)
		signal.Notify(s.signals, ForwardedSignals()...)
	}
	err = s.startLocked()
	cfgR.Close()
	stW.Close()
	for _, f := range sbChild {
		f.Close()
	}
	if err != nil {
		if s.kmsg != nil {
			s.kmsg.Close()
		}
		s.stopForwarding()
		s.closeInitPipes()
		return startErr(ErrSetup, "launch: start the stage %s: %v", stage, err)
	}
	c.sys = s
	s.pid = cmd.Process.Pid
	c.Process = cmd.Process
	js, _ := json.Marshal(cfg)
	_, werr := cfgW.Write(js)
	cfgW.Close()
	br := bufio.NewReader(stR)
	var msg []byte
	var rerr error
	if len(notify) > 0 && werr == nil {
		line, err := br.ReadBytes('\n')
		var r stageResult
		if err == nil && json.Unmarshal(line, &r) == nil && r.Kind == "listener" {
			err := s.findProgram()
			fd := -1
			if err == nil {
				fd, err = unix.FindListener(s.pid)
			}
			if err != nil || fd < 0 {
				// Fail closed: the stage waits in its execve for an
				// answer no one would give.
				cmd.Process.Kill()
				c.wait()
				return startErr(ErrFilter, "exec-once: take the notification listener from the stage: %v", err)
			}
			s.execDone = make(chan struct{})
			go s.superviseExec(fd, s.pid, c.ExecOnce, allowIDs, broker, policy)
		} else {
			msg = line
		}
	}
	rest, rerr := io.ReadAll(br)
	msg = append(msg, rest...)
	if len(bytes.TrimSpace(msg)) == 0 && werr == nil && rerr == nil {
		// execve closed the status pipe.
		if err := s.findProgram(); err != nil {
			// The program started, but the launcher cannot tell it.
			cmd.Process.Kill()
			c.wait()
			return startErr(ErrSetup, "launch: sandbox: find the program: %v", err)
		}
		if c.AuditSession {
			c.Session = auditSession(cmd.Process.Pid)
		}
		if s.kmsg != nil {
			s.followDone = make(chan struct{})
			go s.treeFollow(s.pid, c.Session)
		}
		if s.signals != nil {
			go s.forward(cmd.Process.Pid)
		}
		s.startTime = time.Now()
		if c.Sandbox != nil && c.Sandbox.Timeout > 0 {
			go s.deadline(c.Sandbox.Timeout)
		}
		return nil
	}
	c.wait()
	var r stageResult
	if err := json.Unmarshal(msg, &r); err != nil {
		r = stageResult{Kind: "setup", Msg: fmt.Sprintf("launch: the stage ended without starting %s (%s)", c.Path, c.Status)}
	}
	if r.Kind == "execve" {
		return c.execveDenied(native, f.BadArch, r)
	}
	kind := map[string]error{"notfound": ErrNotFound, "noexec": ErrNoExec, "filter": ErrFilter}[r.Kind]
	if kind == nil {
		kind = ErrSetup
	}
	switch {
	case kind == ErrNotFound:
		// ENOENT for a file that exists: its interpreter is missing.
		// (path: the program found in $PATH, as the stage executed it.)
		if why := interp.Missing(path); why != "" {
			kind, r.Msg = ErrNoExec, fmt.Sprintf("exec %s: %s", path, why)
		}
	case kind == ErrNoExec && strings.HasSuffix(r.Msg, syscall.EACCES.Error()):
		// EACCES for a file that may be executed: its interpreter may not.
		if why := interp.Unusable(path); why != "" {
			r.Msg = fmt.Sprintf("exec %s: %s", path, why)
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

// execveVerdict runs prog in the VM on the stage's execve with args,
// from the native ABI, as the kernel will. A program that reads the
// instruction pointer is refused: the launcher cannot tell it.
func execveVerdict(prog bpf.Program, args [6]uint64) (uint32, error) {
	native, ok := arch.Native()
	if !ok {
		return 0, fmt.Errorf("unknown native architecture: %w", seccomp.ErrNotSupported)
	}
	for _, ins := range prog {
		if ins.Op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS && ins.K >= bpf.OffsetInstructionPointer && ins.K < bpf.OffsetArgs {
			return 0, errors.New("the filter reads the instruction pointer: the launcher cannot tell whether it allows its own execve")
		}
	}
	d := bpf.SeccompData{Nr: int32(syscall.SYS_EXECVE), Arch: native.Audit(), Args: args}
	order := native.ByteOrder()
	ret, _, err := bpf.NewVM(order).Run(prog, d.Marshal(order))
	if err != nil {
		return 0, fmt.Errorf("evaluate the filter on execve: %w", err)
	}
	return ret, nil
}

// execveDenied is the error for a filter that denies the stage's execve.
func (c *Cmd) execveDenied(native arch.Arch, badArch profile.Action, r stageResult) error {
	nr, _ := native.SyscallNumber("execve")
	v := explain(c.Profile, native, badArch, Record{Arch: native, Nr: nr, Ret: r.Ret, Args: r.Args, HasArgs: true}, "")
	msg := fmt.Sprintf("the profile denies execve itself: %s; %s could never start (allow execve in the profile)", v, c.Path)
	if c.Profile != nil && hasConditions(c.Profile, "execve") {
		msg = fmt.Sprintf("the profile denies the execve that starts %s: %s, judged on its arguments (the addresses of the path, argv and envp, which a filter cannot read; allow execve without conditions)", c.Path, v)
	}
	return startErr(ErrFilter, "%s", msg)
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

// startLocked starts the stage from a goroutine locked to its thread
// until the program ended: the kernel sends the parent-death signal when
// the thread that forked ends, not the process, and the Go runtime ends a
// thread whose goroutine exits locked. When traced, the same thread
// attaches to the stage (ptrace requests must come from the thread that
// attached) and follows the stops until the end.
func (s *sysCmd) startLocked() error {
	started := make(chan error, 1)
	if s.traced {
		s.trace = make(chan traceResult, 1)
	}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			if s.trace != nil {
				close(s.trace)
			}
			return
		}
		if !s.traced {
			started <- nil
			<-s.ended
			return
		}
		pid := s.cmd.Process.Pid
		if err := unix.PtraceSeizeProcess(pid); err != nil {
			// No report of TRAP, but the filter is the same.
			s.traced = false
			started <- nil
			close(s.trace)
			<-s.ended
			return
		}
		started <- nil
		s.trace <- s.follow(pid)
		<-s.ended
	}()
	return <-started
}

// follow passes every stop of the traced process pid and its threads on
// until pid ends, and keeps the siginfo of the last seccomp SIGSYS.
func (s *sysCmd) follow(pid int) traceResult {
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
				if si, err := unix.PtraceSigsys(tid); err == nil && isTrap(s.prog, si) {
					r.sigsys = &si
				} else if err == nil && si.HasRegs && sigsysFatal(tid) {
					r.other = true
				}
			}
			err = unix.PtraceCont(tid, int(sig))
		}
		if err != nil && !errors.Is(err, syscall.ESRCH) {
			return r
		}
	}
}

// isTrap reports whether si is the SIGSYS of a TRAP of prog: the kernel's
// own siginfo (si_code SYS_SECCOMP) says a call was trapped, and the
// thread's registers agree: its last system call is the one named, in
// the ABI named, from the address named, and prog, run in the VM on that
// call with the arguments in the registers, returns exactly that TRAP. A
// SIGSYS the program sent itself is delivered on the way back from
// another call (rt_sigqueueinfo, or one that unblocked it), which prog
// allowed; or after a signal handler or an interrupt, when the thread's
// last number is -1, which a trap of system call -1 would show too: such
// a siginfo is not believed. Without the registers (on ABIs the launcher
// cannot read them on) nothing is believed.
func isTrap(prog bpf.Program, si unix.Sigsys) bool {
	if si.Code != unix.SYS_SECCOMP || !si.HasRegs || !si.HasArgs {
		return false
	}
	if si.RegNr == -1 || uint32(si.RegNr) != si.Syscall || si.RegArch != si.Arch || si.RegIP != si.CallAddr {
		return false
	}
	a, ok := arch.FromAudit(si.Arch)
	if !ok {
		return false
	}
	d := bpf.SeccompData{Nr: int32(si.Syscall), Arch: si.Arch, InstructionPointer: si.CallAddr, Args: si.Args}
	ret, _, err := bpf.NewVM(a.ByteOrder()).Run(prog, d.Marshal(a.ByteOrder()))
	return err == nil && ret == seccomp.SECCOMP_RET_TRAP|uint32(si.Data)
}

// sigsysFatal reports whether delivering SIGSYS to thread tid, stopped
// for it, ends the process: the thread neither catches nor ignores it
// (the disposition cannot change while the thread is stopped).
func sigsysFatal(tid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return false
	}
	bit := uint64(1) << (syscall.SIGSYS - 1)
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || (string(k) != "SigCgt" && string(k) != "SigIgn") {
			continue
		}
		mask, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 16, 64)
		if err != nil || mask&bit != 0 {
			return false
		}
	}
	return true
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
	defer func() {
		if s.followDone != nil {
			// The records of calls made before the program ended are
			// in the follower's queue: read them before it closes.
			s.events.settle(100*time.Millisecond, kernelLogWait)
		}
		if s.kmsg != nil {
			s.kmsg.Close()
		}
		if s.followDone != nil {
			<-s.followDone
		}
		if s.execDone != nil {
			<-s.execDone
		}
		c.Status.Events = s.events.snapshot()
	}()
	var tr traceResult
	if s.trace != nil {
		tr = <-s.trace
	}
	if s.ackW != nil {
		// Unless the program was found, the init has not reaped it.
		s.ackW.Close()
	}
	s.cmd.Wait()
	s.endTime = time.Now()
	s.waited.Do(func() {
		close(s.ended)
		s.stopForwarding()
	})
	ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if s.exitR != nil {
		// The sandbox's init reports how the program ended; nothing
		// when it was killed (the timeout) or died before the program.
		b, _ := io.ReadAll(s.exitR)
		s.exitR.Close()
		if n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 32); err == nil && ok {
			ws = syscall.WaitStatus(n)
		}
	}
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
	if c.Status.Signal != syscall.SIGSYS || tr.other {
		return
	}
	if tr.sigsys != nil {
		if c.Status.Violation = c.trapViolation(tr.sigsys); c.Status.Violation != nil {
			c.Status.Seccomp = true
			return
		}
	}
	kill := canKill(s.prog)
	find := c.KernelRecord
	if find == nil && s.followDone != nil {
		find = func(pid int) (Record, bool) {
			e, ok := s.events.find(func(e TreeEvent) bool {
				k := e.Action.Kind
				return e.PID == pid && e.Policy == "" && (k == profile.ActKillProcess || k == profile.ActKillThread)
			}, kernelLogWait)
			return e.Record, ok
		}
	}
	if find != nil {
		if r, ok := find(s.pid); ok {
			c.Status.Seccomp = true
			c.Status.Violation = explain(s.profile, s.native, s.badArch, r, "kernel log")
			return
		}
	}
	// No proof either way: seccomp may have sent it if the filter can
	// kill, or trap where the launcher could not follow; not when the
	// tracer saw that the SIGSYS that ended it was not seccomp's.
	c.Status.Seccomp = kill || (canTrap(s.prog) && !s.traced)
}

// kernelLogWait is how long Wait waits for the kernel's record of a KILL
// to reach the kernel log (the audit subsystem writes it from a thread of
// its own, after the process died).
const kernelLogWait = 2 * time.Second

// findProgram sets s.pid to the program's, in the sandbox, and lets the
// init reap it.
func (s *sysCmd) findProgram() error {
	if s.ackW == nil || s.pid != s.cmd.Process.Pid {
		return nil // not in the sandbox, or found already
	}
	pid, err := programPid(s.cmd.Process.Pid)
	if err != nil {
		return err
	}
	s.pid = pid
	return s.ackW.Close()
}

// closeInitPipes closes the launcher's ends of the sandbox init's pipes.
func (s *sysCmd) closeInitPipes() {
	if s.exitR != nil {
		s.exitR.Close()
		s.ackW.Close()
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
	return explain(c.sys.profile, c.sys.native, c.sys.badArch, r, "siginfo")
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
