package record

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/interp"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Run starts argv under the recorder and returns what it and every
// thread, fork, vfork, clone and exec'd program it started did, from the
// moment argv[0] was executed until the last of them ended. It needs no
// privileges beyond being allowed to ptrace its own children.
//
// How: the helper (a re-execution of the calling program, traced with
// PTRACE_TRACEME) installs on its thread a seccomp filter whose only
// instruction is RET USER_NOTIF and executes the target. The recorder
// takes the filter's listener from the helper (pidfd_getfd) and, for each
// system call, notes the ABI, number and arguments and lets it run
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE): one round trip per call, instead of
// strace's two syscall stops and decoding. With Options.Stops, or on a
// kernel without USER_NOTIF, CONTINUE or pidfd_getfd, the filter is RET
// TRACE and each call makes one seccomp stop, read with
// PTRACE_GET_SYSCALL_INFO. The filter is inherited by every thread and
// child and kept across exec; ptrace (PTRACE_O_TRACECLONE, FORK, VFORK
// and EXEC) follows every task for exits, signals and the moment the
// target is executed. Calls of the helper before the exec are not
// recorded; the execve that starts the target is, because an enforcing
// launcher makes it under the filter too. EXITKILL ends the traced tasks
// if the recorder dies.
//
// A seccomp filter cannot be relaxed once installed (the kernel takes the
// most severe action of all stacked filters), so every call reaches the
// recorder, not only the first of each kind; Options.Known lets the
// calls of an earlier recording through.
//
// When ctx ends, Options.Stop is sent to the program (every traced
// process of it) and the recording goes on until it has ended.
// Options.Signals go to the program's first process while it runs, and
// once it has ended to every traced process left; a second signal that
// ends a process by default then kills those (SIGKILL), and the
// recording is Partial, naming them. A program killed by a signal that dumps core
// (it crashed) yields a Partial recording.
//
// A task started with clone(CLONE_UNTRACED) (or clone3) leaves the trace
// but keeps the filter, and so do the tasks it starts. With a listener,
// Run serves them until no task uses the filter (the kernel reports
// POLLHUP on the listener), so their calls run and are recorded; once the
// traced tasks have ended, Options.OnUntraced names them, and ctx ending
// then ends the recording, Partial, naming those still running: their
// later calls fail with ENOSYS (the kernel's answer once the listener is
// closed), and Run does not kill them. With stops nothing can answer
// their calls (they fail with ENOSYS): the recording is Partial, naming
// them.
func Run(ctx context.Context, argv []string, o Options) (*Result, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("record: %w: no command", ErrNotFound)
	}
	native, ok := arch.Native()
	if !ok {
		return nil, fmt.Errorf("record: unknown native architecture %s", runtime.GOARCH)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EISDIR) {
			return nil, &startError{ErrNoExec, fmt.Sprintf("record: %s: cannot execute: %v", argv[0], err)}
		}
		return nil, &startError{ErrNotFound, fmt.Sprintf("record: %s: %v", argv[0], ErrNotFound)}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, &startError{ErrNoExec, fmt.Sprintf("record: %s: is a directory", argv[0])}
	}
	helper, hargv, err := o.HelperArgv(path, argv)
	if err != nil {
		return nil, err
	}
	if o.Stop == 0 {
		o.Stop = syscall.SIGTERM
	}
	notify := !o.Stops && unix.ActionAvail(seccomp.SECCOMP_RET_USER_NOTIF) == nil && unix.HasPidfdGetfd()
	ret := uint32(seccomp.SECCOMP_RET_TRACE)
	if notify {
		ret = seccomp.SECCOMP_RET_USER_NOTIF
	}
	filter := bpf.Program{{Op: bpf.BPF_RET | bpf.BPF_K, K: ret}}
	if o.Known != nil || len(o.ENOSYS) > 0 {
		var err error
		if filter, err = seededFilter(o.Known, native, seccomp.ActionOf(ret), o.ENOSYS); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	}
	type out struct {
		res *Result
		err error
	}
	done := make(chan out, 1)
	started := make(chan struct{}, 1)
	ps := &procs{fds: map[int]int{}, leader: -1}
	go func() {
		// ptrace requests are accepted only from the thread that became
		// the tracer, which for PTRACE_TRACEME is the thread that forked.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t := &tracer{rec: New(native), args: o.Args, tasks: map[int]*task{}, early: map[int]bool{}, notify: notify, procs: ps}
		res, err := t.run(ctx, helper, hargv, o, filter, started)
		ps.closeAll()
		done <- out{res, err}
	}()
	select {
	case <-started:
	case r := <-done:
		return r.res, r.err
	}
	sent := map[syscall.Signal]bool{}
	var killed []int
	ctxDone := ctx.Done()
	for {
		select {
		case r := <-done:
			if r.res != nil && len(killed) > 0 {
				rec := r.res.Recording
				rec.Partial = true
				rec.Reason = strings.TrimPrefix(rec.Reason+"; ", "; ") + fmt.Sprintf("the recording was interrupted again after the program had ended, and %s it had started, still running, were killed: what they would have done is not recorded", procList(killed))
			}
			if r.res != nil && r.res.Recording.Partial && sent[r.res.Signal] {
				// It ended of what it was sent, not of a crash: only
				// other reasons make the recording partial.
				rec := r.res.Recording
				var keep []string
				for _, why := range strings.Split(rec.Reason, "; ") {
					if why != crashReason(r.res.Signal) {
						keep = append(keep, why)
					}
				}
				rec.Reason = strings.Join(keep, "; ")
				rec.Partial = rec.Reason != ""
			}
			return r.res, r.err
		case <-ctxDone:
			ctxDone = nil
			sent[o.Stop] = true
			ps.stop(o.Stop)
		case s := <-o.Signals:
			if sig, ok := s.(syscall.Signal); ok {
				sent[sig] = true
				killed = append(killed, ps.forward(sig)...)
			}
		}
	}
}

// procList names processes in a message: "process 7" or "processes [7 9]".
func procList(pids []int) string {
	if len(pids) == 1 {
		return fmt.Sprintf("process %d", pids[0])
	}
	return fmt.Sprintf("processes %v", pids)
}

// procs are the traced processes of the recorded program that the
// tracer has not reaped, each with a descriptor of it (pidfd_open),
// which signals go through: the tracer reaps a process when it ends, and
// its id may then be another process's, which only the descriptor is
// sure not to name. (A traced process, even a zombie, is reaped by its
// tracer alone, so its id names it until then: the descriptor opened
// when its creation is reported names it.)
type procs struct {
	mu     sync.Mutex
	fds    map[int]int // process id → descriptor
	leader int         // the program's first process, -1 before it started
	// leaderFd is the descriptor of the leader, -1 when pidfd_open
	// failed (signals then go to its id until it is reaped).
	leaderFd   int
	leaderGone bool
	// rest: a signal that ends a process by default went to the
	// processes left once the leader had ended.
	rest bool
}

// add opens a descriptor of pid, if it is a process (pidfd_open refuses
// a thread other than a process's leader with EINVAL).
func (p *procs) add(pid int, leader bool) {
	fd, err := unix.PidfdOpen(pid)
	p.mu.Lock()
	defer p.mu.Unlock()
	if leader {
		p.leader, p.leaderFd = pid, -1
		if err == nil {
			p.leaderFd = fd
		}
	}
	if err == nil {
		p.fds[pid] = fd
	}
}

// remove closes the descriptor of pid, which ended (and was reaped).
func (p *procs) remove(pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pid == p.leader {
		p.leaderGone = true
		p.leaderFd = -1
	}
	if fd, ok := p.fds[pid]; ok {
		unix.Close(fd)
		delete(p.fds, pid)
	}
}

func (p *procs) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pid, fd := range p.fds {
		unix.Close(fd)
		delete(p.fds, pid)
	}
	p.leaderGone, p.leaderFd = true, -1
}

// forward passes sig on: to the program's first process while it runs
// (it answers for its children, as it would from a terminal), and once
// it has ended to every traced process left, which would otherwise never
// learn that the recording is to end. A second signal that ends a
// process by default, once one went to those left, ends them (SIGKILL:
// they could ignore or catch the others, as a shell's background jobs
// ignore SIGINT); forward returns their ids.
func (p *procs) forward(sig syscall.Signal) (killed []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.leaderGone && !p.leaderEnded() {
		p.toLeader(sig)
		return nil
	}
	if sig != syscall.SIGWINCH && sig != syscall.SIGCHLD && sig != syscall.SIGURG && sig != syscall.SIGCONT {
		if p.rest {
			for pid, fd := range p.fds {
				if pid != p.leader && unix.PidfdSendSignal(fd, syscall.SIGKILL) == nil {
					killed = append(killed, pid)
				}
			}
			slices.Sort(killed)
			return killed
		}
		p.rest = true
	}
	for pid, fd := range p.fds {
		if pid != p.leader {
			_ = unix.PidfdSendSignal(fd, sig)
		}
	}
	return nil
}

// stop sends sig to every traced process: the context ended.
func (p *procs) stop(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.leaderGone {
		p.toLeader(sig)
	} else {
		p.rest = true
	}
	for pid, fd := range p.fds {
		if pid != p.leader {
			_ = unix.PidfdSendSignal(fd, sig)
		}
	}
}

// leaderEnded reports whether the leader has ended, which its descriptor
// tells (POLLIN) before the tracer has reaped it (p.mu is held).
func (p *procs) leaderEnded() bool {
	if p.leaderFd < 0 {
		return false
	}
	ready, hup, _ := unix.PollIn(p.leaderFd, 0)
	return ready || hup
}

// toLeader sends sig to the leader, which has not been reaped (p.mu is
// held).
func (p *procs) toLeader(sig syscall.Signal) {
	if p.leaderFd >= 0 {
		_ = unix.PidfdSendSignal(p.leaderFd, sig)
		return
	}
	if p.leader > 0 {
		_ = unix.Kill(p.leader, sig)
	}
}

// ForwardSignals are the signals a supervisor or a terminal sends to end
// (or poke) a program; a caller of Run catches them and passes them on in
// Options.Signals, so that the program gets them and the recording is
// kept: every signal a Go process can catch and pass on (the real-time
// ones, and SIGABRT or SIGSEGV sent with kill(2), included), but the
// terminal's stops (SIGTSTP, SIGTTIN, SIGTTOU), which stop the recorder
// with its program.
var ForwardSignals = forwardSignals()

func forwardSignals() []os.Signal {
	var out []os.Signal
	for _, sig := range unix.ForwardableSignals() {
		switch sig {
		case syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		default:
			out = append(out, sig)
		}
	}
	return out
}

type task struct {
	started bool // its first stop (the SIGSTOP of a new task) was seen
	known   bool // its creator's clone/fork/vfork stop was seen
	// With stops, a task stopped in clone or clone3 is resumed to the
	// call's exit (PTRACE_SYSCALL): cloning until then, and cloned once
	// the creation event of the new task came. A new task without that
	// event is not traced (CLONE_UNTRACED).
	cloning, cloned bool
	// untracedFlag: the flags of the clone or clone3 it is in have
	// CLONE_UNTRACED (or could not be read).
	untracedFlag bool
}

type tracer struct {
	rec   *Recording
	args  bool
	tasks map[int]*task // the traced tasks that have not ended
	// early are tasks that ended after their first stop but before
	// their creator's event was seen: the event must not add them. (An
	// exit of a task never seen may be of a child outside the trace.)
	early    map[int]bool
	live     bool // the helper has executed the target
	leader   int
	notify   bool  // calls come through the seccomp listener, not stops
	untraced []int // with stops: the tasks started with CLONE_UNTRACED
	procs    *procs
	// lost are tasks that ended in a clone or clone3 with CLONE_UNTRACED
	// before its syscall-exit-stop (killed: a thread that clone started
	// can end the whole process first), whose new task, if any, is not
	// known.
	lost []int
}

func (t *tracer) run(ctx context.Context, helper string, hargv []string, o Options, filter bpf.Program, started chan<- struct{}) (*Result, error) {
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer statusR.Close()
	// The helper reads its filter from descriptor 4; a pipe holds it.
	progR, progW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer progR.Close()
	mode := byte(0)
	if t.notify {
		mode = 1
	}
	prog := append([]byte{mode}, filter.Encode(binary.NativeEndian)...)
	if len(prog) > 60000 {
		progW.Close()
		return nil, fmt.Errorf("record: the recording filter is too large (%d bytes)", len(prog))
	}
	_, err = progW.Write(prog)
	progW.Close()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	stdio, env, null, err := o.Stdio()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer null.Close()
	pid, err := syscall.ForkExec(helper, hargv, &syscall.ProcAttr{
		Dir:   o.Dir,
		Env:   env,
		Files: append(stdio, statusW.Fd(), progR.Fd()),
		Sys:   &syscall.SysProcAttr{Ptrace: true},
	})
	statusW.Close()
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("record: %w: ptrace(PTRACE_TRACEME) was refused (%v)%s", ErrAttach, err, ptraceHint())
		}
		return nil, fmt.Errorf("record: start the recording helper %s: %w", helper, err)
	}
	t.leader = pid
	// Not reaped before this thread waits for it: the descriptor is of
	// the helper.
	t.procs.add(pid, true)
	started <- struct{}{}
	// The helper stops with SIGTRAP once it has executed (PTRACE_TRACEME).
	// (Only the helper: a child that an earlier recording left to this
	// thread, started with CLONE_PARENT outside the trace, may end now.)
	ws, err := unix.WaitTracedPid(pid)
	if err != nil {
		return nil, fmt.Errorf("record: wait for the helper: %w", err)
	}
	if !ws.Stopped() {
		return nil, fmt.Errorf("record: %w: the helper ended before it could be traced (%s)", ErrAttach, describe(ws))
	}
	opts := unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK |
		unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_EXITKILL
	if err := unix.PtraceSetOptions(pid, opts); err != nil {
		_ = unix.Kill(pid, syscall.SIGKILL)
		return nil, fmt.Errorf("record: %w: PTRACE_SETOPTIONS: %v", ErrAttach, err)
	}
	t.tasks[pid] = &task{started: true, known: true}
	if err := unix.PtraceCont(pid, 0); err != nil {
		return nil, fmt.Errorf("record: %w: %v", ErrAttach, err)
	}
	res := &Result{Recording: t.rec, ExitCode: -1, Listener: t.notify}
	var nl *notifLoop
	if t.notify {
		nl = startNotifLoop(ctx, pid, t.rec, t.args, o.OnUntraced)
	}
	err = t.loop(res, nl)
	if nl != nil {
		if nerr := nl.wait(); err == nil && nerr != nil {
			err = nerr
		}
	}
	if err != nil {
		return nil, err
	}
	if !t.live {
		msg, _ := io.ReadAll(statusR)
		reason := strings.TrimSpace(string(msg))
		if reason == "" {
			reason = "the helper " + describeResult(res)
		}
		switch res.ExitCode {
		case HelperExitCode(ErrNotFound):
			return nil, &startError{ErrNotFound, "record: " + reason}
		case HelperExitCode(ErrNoExec):
			return nil, &startError{ErrNoExec, "record: " + reason}
		}
		return nil, fmt.Errorf("record: %s", reason)
	}
	if res.Signal != 0 && unix.CoreSignal(res.Signal) {
		t.rec.Partial = true
		t.rec.Reason = strings.TrimPrefix(t.rec.Reason+"; ", "; ") + crashReason(res.Signal)
	}
	if len(t.untraced) > 0 {
		t.rec.Partial = true
		t.rec.Reason = strings.TrimPrefix(t.rec.Reason+"; ", "; ") + fmt.Sprintf("the program started %s outside the trace (CLONE_UNTRACED): with ptrace stops, calls of such tasks fail with ENOSYS and are not recorded (record without --stops)", taskList(t.untraced))
	}
	if len(t.lost) > 0 {
		t.rec.Partial = true
		t.rec.Reason = strings.TrimPrefix(t.rec.Reason+"; ", "; ") + fmt.Sprintf("%s ended in a clone with CLONE_UNTRACED before its result was seen: a task it started outside the trace would not be recorded (with ptrace stops, calls of such tasks fail with ENOSYS; record without --stops)", strings.ToUpper(taskList(t.lost)[:1])+taskList(t.lost)[1:])
	}
	return res, nil
}

// taskList names tasks in a message: "task 7" or "tasks [7 9]".
func taskList(tids []int) string {
	switch len(tids) {
	case 0:
		return "tasks"
	case 1:
		return fmt.Sprintf("task %d", tids[0])
	}
	return fmt.Sprintf("tasks %v", tids)
}

// crashReason is the Reason of a recording whose program died of sig.
func crashReason(sig syscall.Signal) string {
	return "the program was killed by " + unix.SignalString(sig)
}

// loop handles stops until no traced task is left. Once none is, it
// tells nl (the listener's loop, nil with stops), which serves the tasks
// that left the trace; children of the recorder among them (started with
// CLONE_PARENT) are reaped until they end or nl is done.
func (t *tracer) loop(res *Result, nl *notifLoop) error {
	gone := false // no traced task is left
	for {
		var tid int
		var ws unix.WaitStatus
		var err error
		if !gone {
			tid, ws, err = unix.WaitTraced()
		} else if tid, ws, err = unix.PollTraced(); err == nil && tid == 0 {
			if nl == nil || nl.finished() {
				return nil
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err == unix.ECHILD {
			return nil
		}
		if err != nil {
			return fmt.Errorf("record: wait: %w", err)
		}
		if ws.Exited() || ws.Signaled() {
			if tk := t.tasks[tid]; tk != nil {
				if !tk.known {
					t.early[tid] = true
				}
				if tk.cloning && !tk.cloned && tk.untracedFlag {
					t.lost = append(t.lost, tid)
				}
			}
			delete(t.tasks, tid)
			t.procs.remove(tid)
			if tid == t.leader {
				if ws.Exited() {
					res.ExitCode = ws.ExitStatus()
				} else {
					res.Signal = ws.Signal()
				}
			}
			if len(t.tasks) == 0 && !gone {
				gone = true
				if nl != nil {
					nl.treeGone()
				}
			}
			continue
		}
		if !ws.Stopped() {
			continue
		}
		tk := t.tasks[tid]
		sig := ws.StopSignal()
		if sig == syscall.SIGTRAP && ws.TrapCause() > 0 {
			t.event(tid, ws.TrapCause())
			continue
		}
		if sig == syscall.SIGTRAP|0x80 {
			// A syscall-exit-stop (PTRACE_O_TRACESYSGOOD): of a clone.
			t.cloneExit(tid, tk)
			continue
		}
		if tk == nil || !tk.started {
			// The first stop of a new task (auto-attached with a SIGSTOP).
			// Keep it stopped until its creator's event says whose it is.
			if tk == nil {
				tk = &task{}
				t.tasks[tid] = tk
			}
			tk.started = true
			if tk.known {
				t.cont(tid, 0)
			}
			continue
		}
		if (sig == syscall.SIGSTOP || sig == syscall.SIGTSTP || sig == syscall.SIGTTIN || sig == syscall.SIGTTOU) && unix.PtraceGroupStop(tid) {
			// A group stop: resuming it is all a tracer without
			// PTRACE_SEIZE can do.
			t.cont(tid, 0)
			continue
		}
		t.cont(tid, int(sig))
	}
}

func (t *tracer) event(tid, ev int) {
	switch ev {
	case unix.PTRACE_EVENT_SECCOMP:
		if t.live {
			if info, err := unix.PtraceSyscallInfo(tid); err == nil && info.Op == unix.PTRACE_SYSCALL_INFO_SECCOMP {
				if abi, ok := arch.FromAuditNr(info.Arch, uint32(info.Nr)); ok {
					t.rec.Add(abi, uint32(info.Nr), &info.Args, t.args)
					if tk := t.tasks[tid]; tk != nil && isClone(abi, uint32(info.Nr)) {
						tk.cloning, tk.cloned = true, false
						tk.untracedFlag = cloneUntraced(tid, abi, uint32(info.Nr), info.Args[0])
					}
				} else {
					u := fmt.Sprintf("audit-arch-%#x:%d", info.Arch, info.Nr)
					if !slices.Contains(t.rec.Unknown, u) {
						t.rec.Unknown = append(t.rec.Unknown, u)
					}
				}
			}
		}
	case unix.PTRACE_EVENT_CLONE, unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK:
		if tk := t.tasks[tid]; tk != nil && tk.cloning {
			tk.cloned = true
		}
		if msg, err := unix.PtraceEventMsg(tid); err == nil {
			child := int(msg)
			if t.early[child] {
				delete(t.early, child) // it has ended already
				break
			}
			ct := t.tasks[child]
			if ct == nil {
				ct = &task{}
				t.tasks[child] = ct
			}
			ct.known = true
			t.procs.add(child, false)
			if ct.started {
				t.cont(child, 0)
			}
		}
	case unix.PTRACE_EVENT_EXEC:
		if msg, err := unix.PtraceEventMsg(tid); err == nil && int(msg) != tid {
			delete(t.tasks, int(msg)) // the exec'ing thread took the leader's id
		}
		if !t.live {
			t.live = true
			if !t.notify {
				// The helper's execve stopped before the target existed.
				t.rec.Add(t.rec.Native, execveNr(t.rec.Native), nil, false)
			}
		}
	}
	t.cont(tid, 0)
}

// isClone reports whether call nr of abi is clone or clone3, which can
// start a task outside the trace (CLONE_UNTRACED).
func isClone(abi arch.Arch, nr uint32) bool {
	name, _ := abi.SyscallName(nr)
	return name == "clone" || name == "clone3"
}

// cloneUntraced reports whether the flags of the clone or clone3 call nr
// of abi that task tid (stopped) makes, with first argument arg0, have
// CLONE_UNTRACED, or could not be read. The flags of clone are its first
// argument on every ABI; those of clone3 are the first 8 bytes of the
// struct clone_args that arg0 points to.
func cloneUntraced(tid int, abi arch.Arch, nr uint32, arg0 uint64) bool {
	const cloneUntracedFlag = 0x00800000
	if name, _ := abi.SyscallName(nr); name == "clone3" {
		var b [8]byte
		if !unix.ReadVM(tid, arg0, b[:]) {
			return true
		}
		return binary.NativeEndian.Uint64(b[:])&cloneUntracedFlag != 0
	}
	return arg0&cloneUntracedFlag != 0
}

// cloneExit handles the syscall-exit-stop of a clone or clone3 of task
// tid (with stops): a new task whose creation no ptrace event reported
// is outside the trace. Its calls get ENOSYS from the recording filter
// (RET TRACE without a tracer) and cannot be recorded. This reads the
// result, not the flags, so clone3 (whose flags are in memory) and every
// ABI's clone count alike.
func (t *tracer) cloneExit(tid int, tk *task) {
	if tk != nil && tk.cloning {
		if info, err := unix.PtraceSyscallInfo(tid); err == nil && info.Op == unix.PTRACE_SYSCALL_INFO_EXIT {
			tk.cloning = false
			// The new task's id in the program's pid namespace.
			if !info.IsError && info.RVal > 0 && !tk.cloned {
				t.untraced = append(t.untraced, int(info.RVal))
			}
		}
	}
	t.cont(tid, 0)
}

// cont resumes task tid with signal sig: to the exit of its system call
// when it is in a clone, else to its next stop.
func (t *tracer) cont(tid, sig int) {
	// ESRCH: the task was killed meanwhile; its exit is reported by wait.
	if tk := t.tasks[tid]; tk != nil && tk.cloning {
		_ = unix.PtraceSyscall(tid, sig)
		return
	}
	_ = unix.PtraceCont(tid, sig)
}

func execveNr(a arch.Arch) uint32 {
	nr, _ := a.SyscallNumber("execve")
	return nr
}

func ptraceHint() string {
	b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope")
	if err == nil {
		if s := strings.TrimSpace(string(b)); s == "3" {
			return "; kernel.yama.ptrace_scope is 3, which forbids ptrace for everyone"
		}
	}
	return "; ptrace may be forbidden by a seccomp filter, a container runtime or an LSM around syscage"
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return "killed by " + unix.SignalString(ws.Signal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

func describeResult(r *Result) string {
	if r.Signal != 0 {
		return r.String()
	}
	return fmt.Sprintf("exited with status %d before executing the program", r.ExitCode)
}

// tracerFilter is the helper's filter: every system call stops in the
// tracer.
var tracerFilter = bpf.Program{{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_TRACE}}

// seededFilter lets the system calls known (may be nil) allows
// unconditionally on native run, answers those of enosys with ENOSYS and
// hands every other one, of every ABI, to the recorder with action hand
// (TRACE or USER_NOTIF).
func seededFilter(known *profile.Profile, native arch.Arch, hand profile.Action, enosys []string) (bpf.Program, error) {
	trace := hand
	allow := profile.Action{Kind: profile.ActAllow}
	f := &profile.Profile{Default: trace, Arches: append([]arch.Arch{native}, native.Compat()...)}
	if len(enosys) > 0 {
		f.Rules = append(f.Rules, profile.Rule{Names: enosys, Action: profile.Action{Kind: profile.ActErrno, Data: 38}})
	}
	if known == nil {
		return compileRecording(f, native, trace)
	}
	if known.Default.Permits() {
		return nil, errors.New("the known profile lets every call it does not name run; give an allowlist")
	}
	t, err := known.Table(native, profile.TableOptions{})
	if err != nil {
		return nil, fmt.Errorf("known profile: %w", err)
	}
	var names []string
	for _, e := range t.Syscalls {
		// execve always reaches the recorder: the helper's starts the
		// target, which is when recording begins. With stops, so do
		// clone and clone3: the recorder sees whether the new task is
		// traced (CLONE_UNTRACED).
		if hand.Kind == profile.ActTrace && (e.Name == "clone" || e.Name == "clone3") {
			continue
		}
		if len(e.Rules) == 0 && e.Action == allow && e.Name != "execve" && e.Name != "execveat" {
			names = append(names, e.Name)
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return slices.Contains(enosys, n) })
	if len(names) > 0 {
		f.Rules = append(f.Rules, profile.Rule{Names: names, Action: allow})
	}
	return compileRecording(f, native, trace)
}

func compileRecording(f *profile.Profile, native arch.Arch, trace profile.Action) (bpf.Program, error) {
	c, err := seccomp.Compile(f, native, seccomp.Options{NoENOSYS: true, BadArch: trace})
	if err != nil {
		return nil, fmt.Errorf("compile the recording filter: %w", err)
	}
	return c.Program, nil
}

func init() {
	if len(os.Args) > 1 && os.Args[1] == HelperCommand {
		// The helper executes the target from the main thread: the
		// parent-death signal the eBPF engine starts it with belongs to
		// that thread alone (a thread starts without one), and an
		// execve from another thread would hand the process to that
		// thread, and the target would outlive the recorder. Locking in
		// init keeps main on the main thread.
		runtime.LockOSThread()
	}
}

// HelperNoFilter, as the first byte the helper reads from descriptor 4,
// asks ExecHelper to execute the target without a filter. The helper
// reads until the writer closes the descriptor, so a recorder that
// watches from outside (the eBPF engine) starts following the helper
// first and then lets it execute the target.
const HelperNoFilter = 2

// ExecHelper is the recording helper: args are the target's path and
// argv, as Run passes them. It installs the tracing filter (read from
// descriptor 4; RET TRACE when it is empty) on the calling thread and
// executes the target; it returns only on failure, after writing the
// reason to descriptor 3 for Run. The caller should then exit with
// HelperExitCode(err) without printing the error: Run reports it.
func ExecHelper(args []string) error {
	status := os.NewFile(3, "record-status")
	fail := func(err error) error {
		if status != nil {
			fmt.Fprintf(status, "%v\n", err)
		}
		return err
	}
	if len(args) < 2 {
		return fail(errors.New("record helper: want PATH ARGV0 [ARG...]"))
	}
	unix.SetCloseOnExec(3)
	filter := tracerFilter
	var flags seccomp.Flags
	if pf := os.NewFile(4, "record-filter"); pf != nil {
		b, err := io.ReadAll(pf)
		pf.Close()
		if err != nil {
			return fail(fmt.Errorf("%w: read the recording filter: %v", ErrAttach, err))
		}
		if len(b) > 0 && b[0] == HelperNoFilter {
			// A recorder that watches from outside (the eBPF engine)
			// closes the pipe once it follows this process.
			err := syscall.Exec(args[0], args[1:], os.Environ())
			return fail(fmt.Errorf("execute %s: %w", args[0], err))
		}
		if len(b) > 0 {
			if b[0] == 1 {
				flags = seccomp.SECCOMP_FILTER_FLAG_NEW_LISTENER
			}
			if filter, err = bpf.Decode(b[1:], binary.NativeEndian); err != nil {
				return fail(fmt.Errorf("%w: the recording filter: %v", ErrAttach, err))
			}
		}
	}
	// With CAP_SYS_ADMIN the filter needs no no_new_privs, which would
	// change what set-user-ID programs do; without, it does.
	// With a listener, the recorder finds its descriptor in
	// /proc/PID/fd; this thread's next system call waits for it.
	_, err := seccomp.InstallProgram(filter, seccomp.InstallOptions{Flags: flags, NoTSync: true, SkipNoNewPrivs: true})
	if errors.Is(err, unix.EACCES) {
		_, err = seccomp.InstallProgram(filter, seccomp.InstallOptions{Flags: flags, NoTSync: true})
	}
	if err != nil {
		return fail(fmt.Errorf("%w: the recording filter could not be installed: %v", ErrAttach, err))
	}
	// InstallProgram left this goroutine locked to the filtered thread.
	err = syscall.Exec(args[0], args[1:], os.Environ())
	kind := ErrNoExec
	msg := fmt.Sprintf("exec %s: %v", args[0], err)
	switch {
	case errors.Is(err, syscall.ENOENT):
		// ENOENT for a file that exists: its interpreter is missing.
		if why := interp.Missing(args[0]); why != "" {
			msg = fmt.Sprintf("exec %s: %s", args[0], why)
		} else {
			kind = ErrNotFound
		}
	case errors.Is(err, syscall.EACCES):
		// EACCES for a file that may be executed: its interpreter may not.
		if why := interp.Unusable(args[0]); why != "" {
			msg = fmt.Sprintf("exec %s: %s", args[0], why)
		}
	}
	return fail(&startError{kind, msg})
}

// notifLoop answers the seccomp listener of a recorded program: it
// records each notified call and lets it run (CONTINUE).
type notifLoop struct {
	ctx        context.Context
	onUntraced func(pids []int)
	stop       chan struct{} // closed once no traced task is left
	stopOnce   sync.Once
	end        chan struct{} // closed when serve has returned
	done       chan error
}

// startNotifLoop finds the listener of process pid (the helper, which
// waits in its first notified call) and serves it until no task uses the
// filter any more (the kernel then reports POLLHUP on the listener): the
// traced tasks, and tasks that left the trace (CLONE_UNTRACED) but keep
// the filter, whose calls would get ENOSYS from a listener nobody
// answers. Once only those are left, onUntraced (if set) learns their
// ids, however busy they are; ctx ending then ends the serving and makes
// the recording partial, naming them.
func startNotifLoop(ctx context.Context, pid int, rec *Recording, withArgs bool, onUntraced func([]int)) *notifLoop {
	l := &notifLoop{ctx: ctx, onUntraced: onUntraced, stop: make(chan struct{}), end: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		err := l.serve(pid, rec, withArgs)
		close(l.end)
		l.done <- err
	}()
	return l
}

// treeGone tells the loop that no traced task is left.
func (l *notifLoop) treeGone() { l.stopOnce.Do(func() { close(l.stop) }) }

func (l *notifLoop) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// finished reports whether the loop has stopped serving.
func (l *notifLoop) finished() bool {
	select {
	case <-l.end:
		return true
	default:
		return false
	}
}

func (l *notifLoop) serve(pid int, rec *Recording, withArgs bool) error {
	fd := -1
	for fd < 0 {
		var err error
		fd, err = unix.FindListener(pid)
		if errors.Is(err, os.ErrNotExist) || l.stopped() {
			// The helper is gone: its own error is reported by Run.
			return nil
		}
		if err != nil {
			// The helper waits for an answer that cannot come.
			_ = unix.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("record: %w: cannot take the recording filter's listener from the helper (%v); record with --stops (Options.Stops)", ErrAttach, err)
		}
		if fd < 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	defer unix.Close(fd)
	live := false
	seen := map[int]bool{} // the tasks whose calls came through
	announced := false
	announce := func() {
		announced = true
		if l.onUntraced != nil {
			l.onUntraced(alive(seen))
		}
	}
	for {
		// Sampled before the poll: when no traced task is left, a poll
		// without POLLHUP means tasks outside the trace use the filter.
		gone := l.stopped()
		var polled time.Time
		if gone && !announced {
			polled = time.Now()
		}
		ready, hup, err := unix.PollIn(fd, 100)
		if err != nil {
			return fmt.Errorf("record: poll the seccomp listener: %w", err)
		}
		if hup && !ready {
			return nil
		}
		// The traced tasks are gone, yet the filter has users: tasks that
		// left the trace. Serve them until they end, or until ctx does,
		// checked on every call: a task that never pauses between calls
		// must not keep the recording going unseen. They are announced
		// at their first call, or once the listener has been idle for a
		// whole poll (not cut short by EINTR, after which PollIn says
		// neither ready nor HUP): those that made no call yet are not
		// known.
		if gone && !announced && !ready && time.Since(polled) >= 100*time.Millisecond {
			if _, hup, _ := unix.PollIn(fd, 0); hup {
				return nil
			}
			announce()
		}
		if gone && l.ctx.Err() != nil {
			rec.Partial = true
			rec.Reason = strings.TrimPrefix(rec.Reason+"; ", "; ") + fmt.Sprintf("the recording was stopped while %s started outside the trace (CLONE_UNTRACED) still ran: calls made from then on are not recorded (they fail with ENOSYS)", taskList(alive(seen)))
			return nil
		}
		if !ready {
			continue
		}
		n, err := unix.NotifRecv(fd)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINTR) {
				continue // the task was interrupted or died
			}
			return fmt.Errorf("record: read the seccomp listener: %w", err)
		}
		seen[int(n.PID)] = true
		if gone && !announced {
			announce()
		}
		abi, ok := arch.FromAuditNr(n.Arch, uint32(n.Nr))
		switch {
		case live && ok:
			rec.Add(abi, uint32(n.Nr), &n.Args, withArgs)
		case live:
			u := fmt.Sprintf("audit-arch-%#x:%d", n.Arch, uint32(n.Nr))
			if !slices.Contains(rec.Unknown, u) {
				rec.Unknown = append(rec.Unknown, u)
			}
		case ok:
			// Before the target: only the helper's filtered thread makes
			// calls here, and its execve starts the target, which is
			// recorded (an enforcing launcher makes it under the filter).
			if name, _ := abi.SyscallName(uint32(n.Nr)); name == "execve" || name == "execveat" {
				live = true
				rec.Add(abi, uint32(n.Nr), nil, false)
			}
		}
		_ = unix.NotifContinue(fd, n.ID)
	}
}

// alive returns the tasks of seen that still run under a seccomp filter,
// sorted: not ended (a zombie's State is Z, a dying task's X), and with
// Seccomp mode 2 in their status, which a reused id of another process
// rarely has.
func alive(seen map[int]bool) []int {
	var out []int
	for tid := range seen {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
		if err != nil {
			continue
		}
		st := string(b)
		if strings.Contains(st, "\nState:\tZ") || strings.Contains(st, "\nState:\tX") || !strings.Contains(st, "\nSeccomp:\t2\n") {
			continue
		}
		out = append(out, tid)
	}
	slices.Sort(out)
	return out
}

// wait tells the loop that the traced tasks are gone, and returns its
// error once no task uses the filter (or its context ended).
func (l *notifLoop) wait() error {
	l.treeGone()
	return <-l.done
}
