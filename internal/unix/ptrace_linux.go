package unix

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FilterFlags returns the SECCOMP_FILTER_FLAG_* a filter of process pid
// was installed with, as PTRACE_SECCOMP_GET_METADATA reports them (only
// SECCOMP_FILTER_FLAG_LOG is recorded). Filter 0 is the oldest. It seizes
// pid, stops it, reads the metadata and detaches, all from one locked
// thread, as ptrace requires. The caller needs CAP_SYS_ADMIN and must not
// be filtered itself; the kernel needs CONFIG_CHECKPOINT_RESTORE.
func FilterFlags(pid, index int) (uint64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		return 0, err
	}
	defer unix.PtraceDetach(pid)
	if err := unix.PtraceInterrupt(pid); err != nil {
		return 0, err
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		break
	}
	md := struct{ FilterOff, Flags uint64 }{FilterOff: uint64(index)}
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(pid), unsafe.Sizeof(md), uintptr(unsafe.Pointer(&md)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return md.Flags, nil
}
