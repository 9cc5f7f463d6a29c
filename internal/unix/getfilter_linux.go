package unix

import (
	"errors"
	"os"
	"slices"
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

// ErrNotStopped is ReadSeccompFilters's error for a task that did not stop
// in time: one in uninterruptible sleep ('D': a vfork parent waiting for
// its child, a task frozen by the cgroup v1 freezer, a wait on a device
// or a file system) only stops when the wait ends.
var ErrNotStopped = errors.New("the task did not stop")

// TaskFilters is what ReadSeccompFilters read of one task.
type TaskFilters struct {
	TID     int
	Filters []LiveFilter
	// Err is EINVAL for a task without filters, ESRCH for one that is
	// gone, EPERM for one that cannot be traced (another tracer holds
	// it, or it is a zombie), ErrNotStopped for one that did not stop in
	// time, or another errno of ptrace.
	Err error
}

// ReadSeccompFilters returns the seccomp filters of the tasks tids (the
// threads of one process, or any tasks), oldest first, with
// PTRACE_SECCOMP_GET_FILTER and PTRACE_SECCOMP_GET_METADATA. It seizes
// every task, interrupts them all, and reads each as soon as it stops
// and detaches it at once; timeout bounds the wait for all of them
// together, not for each. The caller needs CAP_SYS_ADMIN, must be
// allowed to trace the tasks, and must not be filtered itself; the
// kernel needs CONFIG_CHECKPOINT_RESTORE.
//
// ptrace ties a tracee to the thread that seized it, so the caller runs
// this on a thread of its own, locked with runtime.LockOSThread, and
// not the main thread. held lists the tasks still traced at the end: a
// task that does not stop within timeout (TaskFilters.Err
// ErrNotStopped) cannot be detached (PTRACE_DETACH needs a stopped
// tracee) and its interrupt is still pending. The caller releases them
// by ending the thread: it returns from its goroutine still locked, the
// runtime ends the thread, and the kernel detaches every task it traced
// (exit_ptrace), clearing their pending traps and waking one that
// stopped in the meantime; TracerOf tells when that has happened.
//
// There is no way to read a filter without a ptrace stop. The kernel's
// seccomp_get_filter itself does not ask for one, but ptrace reaches it
// only through ptrace_check_attach, which lets no request but
// PTRACE_KILL and PTRACE_INTERRUPT through to a tracee that is not in a
// ptrace stop; no file in /proc, no pidfd operation and no prctl hands a
// filter out. The only other route is reading kernel memory
// (task->seccomp.filter, each filter's prog->orig_prog, with a BPF task
// iterator), which this package does not do.
func ReadSeccompFilters(tids []int, timeout time.Duration) (out []TaskFilters, held []int) {
	return seccompFiltersOf(tids, timeout)
}

// TracerOf reads TracerPid: of /proc/TID/status; 0 when none or unknown.
func TracerOf(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
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

// OnMainThread reports whether the calling thread is the process's main
// thread (the one whose id is the process id), which the Go runtime
// never ends.
func OnMainThread() bool { return unix.Gettid() == unix.Getpid() }

// Gettid returns the calling thread's id.
func Gettid() int { return unix.Gettid() }

// seccompFiltersOf runs on the tracer thread. held lists the tasks it
// could not detach: the caller ends the thread to release them.
func seccompFiltersOf(tids []int, timeout time.Duration) (out []TaskFilters, held []int) {
	out = make([]TaskFilters, len(tids))
	var waiting []int // indexes into out: seized and interrupted
	for i, tid := range tids {
		out[i].TID = tid
		if err := unix.PtraceSeize(tid); err != nil {
			out[i].Err = err
			continue
		}
		if err := unix.PtraceInterrupt(tid); err != nil {
			out[i].Err = err
			if !detach(tid, 0) {
				held = append(held, tid)
			}
			continue
		}
		waiting = append(waiting, i)
	}
	deadline := time.Now().Add(timeout)
	for pause := time.Millisecond; len(waiting) > 0; {
		waiting = slices.DeleteFunc(waiting, func(i int) bool {
			tid := out[i].TID
			var ws unix.WaitStatus
			wpid, err := unix.Wait4(tid, &ws, unix.WALL|unix.WNOHANG, nil)
			switch {
			case err == unix.EINTR || err == nil && wpid != tid:
				return false // not yet
			case err != nil:
				out[i].Err = err
			case !ws.Stopped():
				out[i].Err = unix.ESRCH // it ended
				return true
			default:
				sig := 0
				if uint32(ws)>>16 == 0 {
					// A signal-delivery stop, not the PTRACE_EVENT_STOP of
					// the interrupt or of a group stop: the signal goes
					// back at detach.
					sig = int(ws.StopSignal())
				}
				out[i].Filters, out[i].Err = readFilters(tid)
				if !detach(tid, sig) {
					held = append(held, tid)
				}
				return true
			}
			if !detach(tid, 0) {
				held = append(held, tid)
			}
			return true
		})
		if len(waiting) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, i := range waiting {
				out[i].Err = ErrNotStopped
				held = append(held, out[i].TID)
			}
			break
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
	return out, held
}

// detach ends the trace of a stopped task, giving it signal sig; false
// when the task is still traced (it is not stopped).
func detach(tid, sig int) bool {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(tid), 0, uintptr(sig), 0, 0)
	return e == 0 || e == unix.ESRCH && !alive(tid)
}

// readFilters reads every filter of a stopped tracee.
func readFilters(tid int) ([]LiveFilter, error) {
	var out []LiveFilter
	for i := 0; ; i++ {
		n, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(tid), uintptr(i), 0, 0, 0)
		if e == unix.ENOENT && i > 0 {
			return out, nil
		}
		if e != 0 {
			return nil, e
		}
		prog := make([]SockFilter, n)
		if n > 0 {
			if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(tid), uintptr(i), uintptr(unsafe.Pointer(&prog[0])), 0, 0); e != 0 {
				return nil, e
			}
		}
		md := struct{ FilterOff, Flags uint64 }{FilterOff: uint64(i)}
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(tid), unsafe.Sizeof(md), uintptr(unsafe.Pointer(&md)), 0, 0); e != 0 {
			md.Flags = 0
		}
		out = append(out, LiveFilter{Prog: prog, Flags: md.Flags})
	}
}

// alive reports whether process or thread pid still exists.
func alive(pid int) bool { return unix.Kill(pid, 0) != unix.ESRCH }
