package unix

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Wait status and ptrace constants the recorder needs, in the kernel's
// spelling.
const (
	PTRACE_O_TRACESYSGOOD = unix.PTRACE_O_TRACESYSGOOD
	PTRACE_O_TRACEFORK    = unix.PTRACE_O_TRACEFORK
	PTRACE_O_TRACEVFORK   = unix.PTRACE_O_TRACEVFORK
	PTRACE_O_TRACECLONE   = unix.PTRACE_O_TRACECLONE
	PTRACE_O_TRACEEXEC    = unix.PTRACE_O_TRACEEXEC
	PTRACE_O_TRACESECCOMP = unix.PTRACE_O_TRACESECCOMP
	PTRACE_O_EXITKILL     = unix.PTRACE_O_EXITKILL

	PTRACE_EVENT_FORK    = unix.PTRACE_EVENT_FORK
	PTRACE_EVENT_VFORK   = unix.PTRACE_EVENT_VFORK
	PTRACE_EVENT_CLONE   = unix.PTRACE_EVENT_CLONE
	PTRACE_EVENT_EXEC    = unix.PTRACE_EVENT_EXEC
	PTRACE_EVENT_SECCOMP = unix.PTRACE_EVENT_SECCOMP
	PTRACE_EVENT_STOP    = unix.PTRACE_EVENT_STOP
)

// WaitStatus is the status wait4 reports.
type WaitStatus = unix.WaitStatus

// WaitTraced waits for any child or tracee of the calling thread
// (__WALL|__WNOTHREAD: never a child another thread of the process
// started), retrying on EINTR.
func WaitTraced() (int, WaitStatus, error) { return waitTraced(-1, 0) }

// WaitTracedPid is WaitTraced for one child or tracee.
func WaitTracedPid(pid int) (WaitStatus, error) {
	_, ws, err := waitTraced(pid, 0)
	return ws, err
}

// PollTraced is WaitTraced without waiting: pid 0 when no child or tracee
// has anything to report.
func PollTraced() (int, WaitStatus, error) { return waitTraced(-1, unix.WNOHANG) }

func waitTraced(which, flags int) (int, WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		pid, err := unix.Wait4(which, &ws, unix.WALL|unix.WNOTHREAD|flags, nil)
		if err == unix.EINTR {
			continue
		}
		return pid, ws, err
	}
}

// PtraceSetOptions sets the PTRACE_O_* options of a stopped tracee.
func PtraceSetOptions(tid, options int) error { return unix.PtraceSetOptions(tid, options) }

// PtraceCont resumes a stopped tracee, delivering sig (0 for none).
func PtraceCont(tid, sig int) error { return unix.PtraceCont(tid, sig) }

// PtraceSyscall resumes a stopped tracee like PtraceCont, to stop again
// at the exit of its current (or next) system call.
func PtraceSyscall(tid, sig int) error { return unix.PtraceSyscall(tid, sig) }

// PtraceEventMsg returns PTRACE_GETEVENTMSG: the new thread's id at a
// clone, fork or vfork stop, the former thread id at an exec stop.
func PtraceEventMsg(tid int) (uint, error) { return unix.PtraceGetEventMsg(tid) }

// SyscallInfo is what PTRACE_GET_SYSCALL_INFO reports at a seccomp stop
// (Nr and Args) or a syscall-exit-stop (RVal and IsError).
type SyscallInfo struct {
	Op      uint8  // PTRACE_SYSCALL_INFO_*; 3 at a seccomp stop
	Arch    uint32 // AUDIT_ARCH_* of the call
	Nr      uint64
	Args    [6]uint64
	RVal    int64 // the return value (a negative errno when IsError)
	IsError bool
}

// ptraceSyscallInfo is struct ptrace_syscall_info (linux/ptrace.h) with
// the seccomp member of its union.
type ptraceSyscallInfo struct {
	Op             uint8
	Pad            [3]uint8
	Arch           uint32
	InstructionPtr uint64
	StackPtr       uint64
	Nr             uint64
	Args           [6]uint64
	RetData        uint32
	Reserved       uint32
	_              [8]uint64 // room for later kernels' additions
}

// PTRACE_SYSCALL_INFO_SECCOMP is the Op of a seccomp stop,
// PTRACE_SYSCALL_INFO_EXIT that of a syscall-exit-stop.
const (
	PTRACE_SYSCALL_INFO_SECCOMP = unix.PTRACE_SYSCALL_INFO_SECCOMP
	PTRACE_SYSCALL_INFO_EXIT    = unix.PTRACE_SYSCALL_INFO_EXIT
)

// PtraceSyscallInfo calls PTRACE_GET_SYSCALL_INFO (Linux 5.3) on a
// stopped tracee.
func PtraceSyscallInfo(tid int) (SyscallInfo, error) {
	var raw ptraceSyscallInfo
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid), unsafe.Sizeof(raw), uintptr(unsafe.Pointer(&raw)), 0, 0)
	if e != 0 {
		return SyscallInfo{}, e
	}
	if raw.Op == PTRACE_SYSCALL_INFO_EXIT {
		// The exit member of the union: rval where nr is, then is_error.
		return SyscallInfo{Op: raw.Op, Arch: raw.Arch, RVal: int64(raw.Nr), IsError: *(*uint8)(unsafe.Pointer(&raw.Args[0])) != 0}, nil
	}
	return SyscallInfo{Op: raw.Op, Arch: raw.Arch, Nr: raw.Nr, Args: raw.Args}, nil
}

// Kill sends sig to process pid.
func Kill(pid int, sig syscall.Signal) error { return unix.Kill(pid, sig) }

// Tgkill sends sig to thread tid of process pid.
func Tgkill(pid, tid int, sig syscall.Signal) error { return unix.Tgkill(pid, tid, sig) }

// SetCloseOnExec sets FD_CLOEXEC on fd.
func SetCloseOnExec(fd int) { unix.CloseOnExec(fd) }

// PtraceGroupStop reports whether the signal stop of tid is a group stop
// rather than the delivery of a signal: PTRACE_GETSIGINFO fails with
// EINVAL at a group stop.
func PtraceGroupStop(tid int) bool {
	var si [128]byte
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(&si[0])), 0, 0)
	return e == unix.EINVAL
}

// SignalName returns the name of sig, such as "SIGSEGV", or "".
func SignalName(sig syscall.Signal) string { return unix.SignalName(sig) }

// SignalString names sig ("SIGTERM"), or "signal N" for one without a
// name.
func SignalString(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// CoreSignal reports whether sig's default action dumps core: a program
// it ends crashed.
func CoreSignal(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGQUIT, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGABRT, syscall.SIGBUS,
		syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGSYS:
		return true
	}
	return false
}
