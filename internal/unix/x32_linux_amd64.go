package unix

import (
	"errors"
	"runtime"

	"golang.org/x/sys/unix"
)

// x32SyscallBit marks x32 system calls on x86_64 (__X32_SYSCALL_BIT).
const x32SyscallBit = 0x40000000

// ProbeX32 asks the kernel whether it runs x32 system calls: it makes
// getpid through the x32 table (the 64-bit syscall instruction with
// __X32_SYSCALL_BIT set in the number). A kernel without x32 support
// (CONFIG_X86_X32_ABI off, or x32 disabled at boot) returns ENOSYS.
//
// A filter of the calling thread could kill it for such a number
// (libseccomp's x86_64 filters do), so the probe runs only on a thread
// that carries no filter, and fails otherwise.
func ProbeX32() (bool, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if mode, err := SeccompMode(); err != nil || mode != 0 {
		return false, errors.New("the calling thread is filtered")
	}
	r, _, e := unix.RawSyscall(x32SyscallBit|unix.SYS_GETPID, 0, 0, 0)
	switch {
	case e == 0 && int(r) == unix.Getpid():
		return true, nil
	case e == unix.ENOSYS:
		return false, nil
	case e != 0:
		return false, e
	}
	return false, errors.New("unexpected answer to x32 getpid")
}
