package unix

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LiveFilter is one seccomp filter of a task as the kernel holds it.
type LiveFilter struct {
	Prog  []SockFilter
	Flags uint64 // SECCOMP_FILTER_FLAG_* recorded for it (only LOG is), or 0 if unknown
}

// SeccompFilters returns the seccomp filters of task pid, oldest first,
// with PTRACE_SECCOMP_GET_FILTER and PTRACE_SECCOMP_GET_METADATA. It
// seizes pid, stops it, reads every filter and detaches, all from one
// locked thread, as ptrace requires. The caller needs CAP_SYS_ADMIN,
// must be allowed to trace pid, and must not be filtered itself; the
// kernel needs CONFIG_CHECKPOINT_RESTORE. A task without filters gives
// EINVAL (from the first read), an unknown pid ESRCH.
func SeccompFilters(pid int) ([]LiveFilter, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		return nil, err
	}
	defer unix.PtraceDetach(pid)
	if err := unix.PtraceInterrupt(pid); err != nil {
		return nil, err
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	var out []LiveFilter
	for i := 0; ; i++ {
		n, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), uintptr(i), 0, 0, 0)
		if e == unix.ENOENT && i > 0 {
			return out, nil
		}
		if e != 0 {
			return nil, e
		}
		prog := make([]SockFilter, n)
		if n > 0 {
			if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), uintptr(i), uintptr(unsafe.Pointer(&prog[0])), 0, 0); e != 0 {
				return nil, e
			}
		}
		md := struct{ FilterOff, Flags uint64 }{FilterOff: uint64(i)}
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(pid), unsafe.Sizeof(md), uintptr(unsafe.Pointer(&md)), 0, 0); e != 0 {
			md.Flags = 0
		}
		out = append(out, LiveFilter{Prog: prog, Flags: md.Flags})
	}
}
