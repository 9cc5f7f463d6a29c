package unix

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SockFilter is struct sock_filter in the native layout and byte order.
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

// SeccompMode returns PR_GET_SECCOMP of the calling thread: 0 or 2 (a
// thread in strict mode is killed by the call). It fails with EINVAL on a
// kernel without CONFIG_SECCOMP.
func SeccompMode() (int, error) {
	return unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
}

// SetFilter calls seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) on the
// calling thread. On success the result is the listener descriptor with
// SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0 — or, with
// SECCOMP_FILTER_FLAG_TSYNC and without TSYNC_ESRCH, the id of a thread
// that could not be synchronized, in which case nothing was installed.
func SetFilter(prog []SockFilter, flags uint) (int, error) {
	return setFilter(unix.Syscall, prog, flags)
}

// SetFilterRaw is SetFilter without telling the Go scheduler about the
// system call (RawSyscall): the thread keeps its P, and does not park on
// a futex to get one back afterwards, which a filter that denies futex
// would punish. For a launcher that calls execve next.
func SetFilterRaw(prog []SockFilter, flags uint) (int, error) {
	return setFilter(unix.RawSyscall, prog, flags)
}

// setFilter makes the seccomp(SECCOMP_SET_MODE_FILTER) call through call
// (unix.Syscall or unix.RawSyscall).
func setFilter(call func(trap, a1, a2, a3 uintptr) (r1, r2 uintptr, err unix.Errno), prog []SockFilter, flags uint) (int, error) {
	fprog := unix.SockFprog{Len: uint16(len(prog))}
	if len(prog) > 0 {
		fprog.Filter = &prog[0]
	}
	r, _, e := call(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// ProbeFlags calls seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL), which
// never installs anything. kernel/seccomp.c checks the flags first
// (EINVAL for unknown bits and for refused combinations) and then fails
// to copy the program (EFAULT), before it looks at privileges, so EFAULT
// means the kernel accepts flags, for any caller.
func ProbeFlags(flags uint) error {
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}

// ActionAvail calls seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action): nil
// when the kernel knows the action, EOPNOTSUPP when it does not, EINVAL
// before Linux 4.14, which lacks the operation.
func ActionAvail(action uint32) error {
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	if e != 0 {
		return e
	}
	return nil
}

// NotifSizes is struct seccomp_notif_sizes.
type NotifSizes struct {
	Notif, NotifResp, Data uint16
}

// GetNotifSizes calls seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes); it
// fails with EINVAL before Linux 5.0.
func GetNotifSizes() (NotifSizes, error) {
	var s NotifSizes
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_NOTIF_SIZES, 0, uintptr(unsafe.Pointer(&s)))
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

// SetMDWE sets PR_SET_MDWE with PR_MDWE_REFUSE_EXEC_GAIN on the calling
// process (Linux 6.3+): a mapping can no longer become executable once it
// was writable, nor be made writable and executable at once; children
// and programs it executes inherit it. EINVAL where the kernel lacks it.
func SetMDWE() error {
	return unix.Prctl(unix.PR_SET_MDWE, unix.PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0)
}
