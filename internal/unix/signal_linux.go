package unix

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ResetSignals gives every signal of the process the disposition SIG_DFL,
// but those of ignore (bit N-1 for signal N), which get SIG_IGN, and
// empties the calling thread's signal mask: what a program executed from
// this thread starts with (execve keeps ignored dispositions and the
// mask). Raw system calls, behind the Go runtime's back: call it only
// right before execve, with nothing but raw calls in between, as the
// runtime's own handlers are gone.
func ResetSignals(ignore uint64) error {
	// struct sigaction of the kernel with sa_flags, sa_restorer and
	// sa_mask zero: only where the handler lies differs.
	var act [4]uint64
	handler, setSize := 0, 8
	switch runtime.GOARCH {
	case "mips", "mipsle":
		handler, setSize = 4, 16 // unsigned int sa_flags first; _NSIG 128
	case "mips64", "mips64le":
		handler, setSize = 8, 16
	}
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		h := uintptr(0) // SIG_DFL
		if ignore&(1<<(sig-1)) != 0 {
			h = 1 // SIG_IGN
		}
		*(*uintptr)(unsafe.Add(unsafe.Pointer(&act), handler)) = h
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, uintptr(setSize), 0, 0); e != 0 {
			return fmt.Errorf("rt_sigaction(%d): %w", sig, e)
		}
	}
	var empty [2]uint64
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&empty)), 0, uintptr(setSize), 0, 0); e != 0 {
		return fmt.Errorf("rt_sigprocmask: %w", e)
	}
	return nil
}

// ParseSignal reads a signal by its name, with or without "SIG" (HUP,
// SIGPIPE, case-insensitive), or its number (1-64).
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("signal %d: want 1-64", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("%q: not a signal name (such as HUP, SIGPIPE) or number", s)
}

// ForwardableSignals are the signals a Go launcher can catch and pass on
// to the program it runs: every signal, real-time ones included, but
//   - SIGKILL and SIGSTOP, which no process catches;
//   - SIGCHLD, about the launcher's own children, and SIGPIPE, which the
//     kernel sends the launcher for its own writes as well (both
//     arrive with the same si_code as one a user sends, and the os/signal
//     package does not pass si_pid on);
//   - SIGURG, with which the Go runtime preempts its own threads, and
//     SIGPROF, which it keeps for its profiler;
//   - 32, 33 and 34, which the Go runtime leaves to the C library
//     (glibc's cancellation and setxid signals, musl's synccall) and never
//     delivers.
//
// The signals the kernel sends a process for a fault of its own (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGSTKFLT) are included: the Go
// runtime delivers them to signal.Notify only when another process sent
// them (kill(2)), and a real fault of the launcher still crashes it.
func ForwardableSignals() []syscall.Signal {
	var out []syscall.Signal
	for n := 1; n <= 64; n++ {
		switch sig := syscall.Signal(n); sig {
		case unix.SIGKILL, unix.SIGSTOP, unix.SIGCHLD, unix.SIGPIPE, unix.SIGURG, unix.SIGPROF:
		case 32, 33, 34:
		default:
			out = append(out, sig)
		}
	}
	return out
}
