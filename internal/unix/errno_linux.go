package unix

import "golang.org/x/sys/unix"

// Errno is the error type of failed system calls.
type Errno = unix.Errno

// The errors callers compare with, or answer notified calls with.
const (
	EACCES      = unix.EACCES
	EBUSY       = unix.EBUSY
	ECHILD      = unix.ECHILD
	EFAULT      = unix.EFAULT
	EINTR       = unix.EINTR
	EINVAL      = unix.EINVAL
	EMEDIUMTYPE = unix.EMEDIUMTYPE // PTRACE_SECCOMP_GET_FILTER of a filter that is not classic BPF
	ENOENT      = unix.ENOENT      // also: a notification whose task is gone
	ENOMEM      = unix.ENOMEM
	ENOSYS      = unix.ENOSYS
	EOPNOTSUPP  = unix.EOPNOTSUPP
	EPERM       = unix.EPERM
	ESRCH       = unix.ESRCH
)
