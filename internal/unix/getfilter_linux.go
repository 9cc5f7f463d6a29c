package unix

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LiveFilter is one seccomp filter of a task as the kernel holds it.
type LiveFilter struct {
	Prog  []SockFilter
	Flags uint64 // SECCOMP_FILTER_FLAG_* recorded for it (only LOG is), or 0 if unknown
}

// ErrNotStopped is SeccompFilters's error for a task that did not stop
// in time: one in uninterruptible sleep ('D': a vfork parent waiting for
// its child, a wait on a device or a file system) only stops when the
// wait ends.
var ErrNotStopped = errors.New("the task did not stop")

// SeccompFilters returns the seccomp filters of task pid, oldest first,
// with PTRACE_SECCOMP_GET_FILTER and PTRACE_SECCOMP_GET_METADATA. It
// seizes pid, stops it, reads every filter and detaches, all from one
// locked thread, as ptrace requires. The caller needs CAP_SYS_ADMIN,
// must be allowed to trace pid, and must not be filtered itself; the
// kernel needs CONFIG_CHECKPOINT_RESTORE. A task without filters gives
// EINVAL (from the first read), an unknown pid ESRCH, a task that does
// not stop within timeout ErrNotStopped (it is then left running as it
// was).
func SeccompFilters(pid int, timeout time.Duration) ([]LiveFilter, error) {
	type result struct {
		fs       []LiveFilter
		err      error
		tracer   int
		detached bool
	}
	done := make(chan result, 1)
	// trace runs on a locked thread, the tracer. A tracee that never
	// stopped cannot be detached (PTRACE_DETACH needs it stopped): then
	// the thread is left locked and ends with its goroutine, and the
	// kernel releases the tracee as at any tracer's exit, its pending
	// stop cleared.
	var trace func(locked chan struct{})
	trace = func(locked chan struct{}) {
		runtime.LockOSThread()
		if locked != nil {
			close(locked)
		}
		if unix.Gettid() == unix.Getpid() {
			// The runtime never ends the main thread (it parks it
			// instead): trace from another, which the new goroutine
			// gets while this one holds the main thread.
			locked := make(chan struct{})
			go trace(locked)
			<-locked
			runtime.UnlockOSThread()
			return
		}
		fs, err, detached := seccompFilters(pid, timeout)
		tid := unix.Gettid()
		if detached {
			runtime.UnlockOSThread()
		}
		done <- result{fs, err, tid, detached}
	}
	go trace(nil)
	r := <-done
	if !r.detached {
		// The thread ends just after the goroutine: wait (briefly) until
		// the kernel has released the tracee, so that the caller can
		// trace it again.
		for i := 0; i < 200 && tracerOf(pid) == r.tracer; i++ {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return r.fs, r.err
}

// tracerOf reads TracerPid: of /proc/PID/status; 0 when none or unknown.
func tracerOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func seccompFilters(pid int, timeout time.Duration) (_ []LiveFilter, _ error, detached bool) {
	if err := unix.PtraceSeize(pid); err != nil {
		return nil, err, true
	}
	sig := 0 // a signal the stop took from the tracee, given back at detach
	defer func() {
		_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(pid), 0, uintptr(sig), 0, 0)
		detached = e == 0 || e == unix.ESRCH && !alive(pid)
	}()
	if err := unix.PtraceInterrupt(pid); err != nil {
		return nil, err, false
	}
	var ws unix.WaitStatus
	deadline := time.Now().Add(timeout)
	for pause := time.Millisecond; ; {
		wpid, err := unix.Wait4(pid, &ws, unix.WALL|unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err, false
		}
		if wpid == pid {
			break
		}
		if time.Now().After(deadline) {
			return nil, ErrNotStopped, false
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
	if !ws.Stopped() {
		return nil, unix.ESRCH, false // it exited
	}
	if uint32(ws)>>16 == 0 {
		// A signal-delivery stop, not the PTRACE_EVENT_STOP of the
		// interrupt or of a group stop: the signal goes back at detach.
		sig = int(ws.StopSignal())
	}
	var out []LiveFilter
	for i := 0; ; i++ {
		n, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), uintptr(i), 0, 0, 0)
		if e == unix.ENOENT && i > 0 {
			return out, nil, false
		}
		if e != 0 {
			return nil, e, false
		}
		prog := make([]SockFilter, n)
		if n > 0 {
			if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), uintptr(i), uintptr(unsafe.Pointer(&prog[0])), 0, 0); e != 0 {
				return nil, e, false
			}
		}
		md := struct{ FilterOff, Flags uint64 }{FilterOff: uint64(i)}
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(pid), unsafe.Sizeof(md), uintptr(unsafe.Pointer(&md)), 0, 0); e != 0 {
			md.Flags = 0
		}
		out = append(out, LiveFilter{Prog: prog, Flags: md.Flags})
	}
}

// alive reports whether process or thread pid still exists.
func alive(pid int) bool { return unix.Kill(pid, 0) != unix.ESRCH }
