package unix

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Errno is the error type of failed system calls.
type Errno = unix.Errno

// Errors callers compare with.
const (
	EINVAL = unix.EINVAL
	EFAULT = unix.EFAULT
	EACCES = unix.EACCES
	ENOSYS = unix.ENOSYS
	ESRCH  = unix.ESRCH
	EBUSY  = unix.EBUSY
)

// SockFilter is struct sock_filter in native layout.
type SockFilter = unix.SockFilter

// SetNoNewPrivs sets PR_SET_NO_NEW_PRIVS on the calling thread.
func SetNoNewPrivs() error {
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}

// NoNewPrivs reports PR_GET_NO_NEW_PRIVS of the calling thread.
func NoNewPrivs() (bool, error) {
	r, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	return r == 1, err
}

// SeccompMode returns PR_GET_SECCOMP of the calling thread.
func SeccompMode() (int, error) {
	return unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
}

// SetFilter calls seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). The
// result is the listener descriptor with SECCOMP_FILTER_FLAG_NEW_LISTENER,
// the thread that could not be synchronized after a TSYNC failure, or 0.
func SetFilter(prog []SockFilter, flags uint) (int, error) {
	fprog := unix.SockFprog{Len: uint16(len(prog))}
	if len(prog) > 0 {
		fprog.Filter = &prog[0]
	}
	r, _, e := unix.Syscall(unix.SYS_SECCOMP, 1 /* SECCOMP_SET_MODE_FILTER */, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return int(r), e
	}
	return int(r), nil
}

// ProbeFlags calls seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL), which
// installs nothing: the kernel checks the flags first (EINVAL for unknown
// ones) and then fails to read the program (EFAULT).
func ProbeFlags(flags uint) error {
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, 1, uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}

// ActionAvail calls seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action).
func ActionAvail(action uint32) error {
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, 2, 0, uintptr(unsafe.Pointer(&action)))
	if e != 0 {
		return e
	}
	return nil
}

// NotifSizes is struct seccomp_notif_sizes.
type NotifSizes struct {
	Notif, NotifResp, Data uint16
}

// GetNotifSizes calls seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes).
func GetNotifSizes() (NotifSizes, error) {
	var s NotifSizes
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, 3, 0, uintptr(unsafe.Pointer(&s)))
	if e != 0 {
		return s, e
	}
	return s, nil
}

// Uname returns the kernel release and machine.
func Uname() (release, machine string, err error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", "", err
	}
	return unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:]), nil
}
