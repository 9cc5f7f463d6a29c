package unix

import (
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Notif is struct seccomp_notif: a system call a SECCOMP_RET_USER_NOTIF
// filter holds until the listener answers.
type Notif struct {
	ID    uint64
	PID   uint32 // thread id, in the listener's pid namespace
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// NotifRecv waits for the next notification on listener fd
// (SECCOMP_IOCTL_NOTIF_RECV).
func NotifRecv(fd int) (Notif, error) {
	var n Notif // must be zeroed
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return Notif{}, e
	}
	return n, nil
}

// NotifContinue lets the notified system call run as if the filter had
// allowed it (SECCOMP_USER_NOTIF_FLAG_CONTINUE, Linux 5.5). ENOENT means
// the call is gone (the task was interrupted or killed).
func NotifContinue(fd int, id uint64) error {
	r := notifResp{ID: id, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	if e != 0 {
		return e
	}
	return nil
}

// PollIn waits up to timeoutMs for fd to be readable; hup reports that
// the other side is gone (for a seccomp listener: no task uses the
// filter any more).
func PollIn(fd, timeoutMs int) (ready, hup bool, err error) {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(p, timeoutMs)
	if err == unix.EINTR {
		return false, false, nil
	}
	if err != nil || n == 0 {
		return false, false, err
	}
	return p[0].Revents&unix.POLLIN != 0, p[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0, nil
}

// FindListener looks for a seccomp notification descriptor among the open
// descriptors of process pid and returns a duplicate of it in the calling
// process (pidfd_getfd, Linux 5.6; needs the right to ptrace pid), or -1
// when there is none yet.
func FindListener(pid int) (int, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return -1, err
	}
	for _, e := range ents {
		link, err := os.Readlink(dir + "/" + e.Name())
		if err != nil || link != "anon_inode:seccomp notify" {
			continue
		}
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		pfd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			return -1, err
		}
		fd, err := unix.PidfdGetfd(pfd, n, 0)
		unix.Close(pfd)
		if err != nil {
			return -1, err
		}
		unix.CloseOnExec(fd)
		return fd, nil
	}
	return -1, nil
}

// Close closes fd.
func Close(fd int) error { return unix.Close(fd) }

// HasPidfdGetfd reports whether the kernel has pidfd_getfd (Linux 5.6).
func HasPidfdGetfd() bool {
	_, err := unix.PidfdGetfd(-1, 0, 0)
	return err != unix.ENOSYS
}

// NotifIDValid reports whether notification id is still pending: its
// task is still in the notified call (SECCOMP_IOCTL_NOTIF_ID_VALID).
// What was read from the task's memory before a true answer was that
// task's, not a process that took its pid.
func NotifIDValid(fd int, id uint64) bool {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id)))
	return e == 0
}

// NotifError fails the notified system call with errno.
func NotifError(fd int, id uint64, errno unix.Errno) error {
	r := notifResp{ID: id, Error: -int32(errno)}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	if e != 0 {
		return e
	}
	return nil
}

// ReadString copies a NUL-terminated string of at most max bytes from
// address addr of task tid (/proc/tid/mem, which needs the right to
// ptrace it), one page at a time so that a string that ends before an
// unmapped page reads. ok is false when no NUL came within max bytes or
// the memory could not be read.
func ReadString(tid int, addr uint64, max int) (s string, ok bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(tid) + "/mem")
	if err != nil {
		return "", false
	}
	defer f.Close()
	return ReadStringAt(f, addr, max)
}

// ReadStringAt is ReadString from f, a task's open /proc/PID/mem.
func ReadStringAt(f *os.File, addr uint64, max int) (s string, ok bool) {
	const page = 4096
	var out []byte
	for len(out) < max {
		n := page - int(addr%page)
		buf := make([]byte, n)
		got, err := f.ReadAt(buf, int64(addr))
		if got <= 0 || (err != nil && got < n && bytesIndex(buf[:got]) < 0) {
			return "", false
		}
		if i := bytesIndex(buf[:got]); i >= 0 {
			out = append(out, buf[:i]...)
			return string(out), len(out) < max
		}
		out = append(out, buf[:got]...)
		addr += uint64(got)
	}
	return "", false
}

func bytesIndex(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

type notifAddfd struct {
	ID         uint64
	Flags      uint32
	Srcfd      uint32
	Newfd      uint32
	NewfdFlags uint32
}

// NotifAddFDSend puts a duplicate of src into the notified task's
// descriptor table and answers the call with its number, atomically
// (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND, Linux 5.14).
func NotifAddFDSend(fd int, id uint64, src int, cloexec bool) (int, error) {
	a := notifAddfd{ID: id, Flags: unix.SECCOMP_ADDFD_FLAG_SEND, Srcfd: uint32(src)}
	if cloexec {
		a.NewfdFlags = unix.O_CLOEXEC
	}
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_ADDFD, uintptr(unsafe.Pointer(&a)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// ReadMem copies n bytes at addr from the memory of task tid.
func ReadMem(tid int, addr uint64, n int) ([]byte, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(tid) + "/mem")
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b := make([]byte, n)
	got, err := f.ReadAt(b, int64(addr))
	return b, err == nil && got == n
}

// ReadVM copies len(b) bytes at address addr of task tid into b
// (process_vm_readv(2), which needs the right to ptrace it, as
// /proc/tid/mem does, and no descriptor) and reports whether all were
// read. Before a true NotifIDValid, what it read may be another task's
// that took the id: check after.
func ReadVM(tid int, addr uint64, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	local := []unix.Iovec{{Base: &b[0]}}
	local[0].SetLen(len(b))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}
	n, err := unix.ProcessVMReadv(tid, local, remote, 0)
	return err == nil && n == len(b)
}

// ReadStringVM is ReadString through process_vm_readv(2): a
// NUL-terminated string of at most max bytes at addr of task tid, read
// up to the end of a page at a time.
func ReadStringVM(tid int, addr uint64, max int) (s string, ok bool) {
	const page = 4096
	var buf [page]byte
	var out []byte
	for len(out) < max {
		n := page - int(addr%page)
		local := []unix.Iovec{{Base: &buf[0]}}
		local[0].SetLen(n)
		remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: n}}
		got, err := unix.ProcessVMReadv(tid, local, remote, 0)
		if err != nil || got <= 0 {
			return "", false
		}
		if i := bytesIndex(buf[:got]); i >= 0 {
			if out == nil {
				return string(buf[:i]), i < max
			}
			out = append(out, buf[:i]...)
			return string(out), len(out) < max
		}
		out = append(out, buf[:got]...)
		addr += uint64(got)
	}
	return "", false
}

// NotifSyncWakeup has the kernel hand the CPU over between a notified
// task and the listener on the CPU that wakes the other
// (SECCOMP_IOCTL_NOTIF_SET_FLAGS with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
// Linux 6.6), as a supervisor that answers at once wants: a round trip
// then costs no wake-up on another CPU. Older kernels refuse it
// (EINVAL), which changes nothing but speed.
func NotifSyncWakeup(fd int) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	if e != 0 {
		return e
	}
	return nil
}
