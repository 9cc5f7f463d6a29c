package unix

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The open broker's system calls: answering a notified call with a
// value, and the stat family on a descriptor the broker opened.

// NotifReturn answers the notified call with val as its return value.
func NotifReturn(fd int, id uint64, val int64) error {
	r := notifResp{ID: id, Val: val}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	if e != 0 {
		return e
	}
	return nil
}

// StatBytes is fstat(2) of fd as the native ABI's struct stat.
func StatBytes(fd int) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
	return append([]byte(nil), b...), nil
}

// StatxBytes is statx(2) of fd itself (AT_EMPTY_PATH) with mask and the
// AT_STATX_* sync flags of flags, as struct statx (the same on every
// ABI).
func StatxBytes(fd int, flags int, mask uint32) ([]byte, error) {
	var st unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|flags&AT_STATX_SYNC_TYPE, int(mask), &st); err != nil {
		return nil, err
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
	return append([]byte(nil), b...), nil
}

// ReadlinkFD reads the symbolic link fd was opened on (O_PATH|O_NOFOLLOW).
func ReadlinkFD(fd int) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// AccessFD is faccessat2(2) on fd itself (AT_EMPTY_PATH) with mode and
// the AT_EACCESS of flags.
func AccessFD(fd int, mode uint32, flags int) error {
	return unix.Faccessat2(fd, "", mode, unix.AT_EMPTY_PATH|flags&unix.AT_EACCESS)
}

// IsProc reports whether fd is a file of a procfs.
func IsProc(fd int) bool {
	var st unix.Statfs_t
	return unix.Fstatfs(fd, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}

// TakeFD returns a duplicate of descriptor n of process pid
// (pidfd_getfd), close-on-exec.
func TakeFD(pid, n int) (int, error) {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	fd, err := unix.PidfdGetfd(pfd, n, 0)
	if err != nil {
		return -1, err
	}
	unix.CloseOnExec(fd)
	return fd, nil
}

// Flags of the stat and access calls.
const (
	AT_EMPTY_PATH       = unix.AT_EMPTY_PATH
	AT_SYMLINK_NOFOLLOW = unix.AT_SYMLINK_NOFOLLOW
	AT_EACCESS          = unix.AT_EACCESS
	AT_STATX_SYNC_TYPE  = 0x6000 // AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC
	AT_NO_AUTOMOUNT     = unix.AT_NO_AUTOMOUNT
	O_NOATIME           = unix.O_NOATIME
	O_DIRECT            = unix.O_DIRECT
	O_DIRECTORY         = unix.O_DIRECTORY
	O_NOFOLLOW          = unix.O_NOFOLLOW
	O_DSYNC             = unix.O_DSYNC
	O_SYNC              = unix.O_SYNC
	O_ASYNC             = unix.O_ASYNC
	W_OK                = unix.W_OK
	ErrnoENOSYS         = unix.ENOSYS
	ErrnoEINVAL         = unix.EINVAL
	ErrnoEFAULT         = unix.EFAULT
)

// Readlinkat reads the symbolic link name in directory dir into buf.
func Readlinkat(dir int, name string, buf []byte) (int, error) {
	return unix.Readlinkat(dir, name, buf)
}

// The file-system changes the broker makes for the program, each in a
// directory it resolved (dir) on one name (a single component).

// Mkdirat is mkdirat(2).
func Mkdirat(dir int, name string, mode uint32) error { return unix.Mkdirat(dir, name, mode) }

// Unlinkat is unlinkat(2).
func Unlinkat(dir int, name string, flags int) error { return unix.Unlinkat(dir, name, flags) }

// Renameat2 is renameat2(2).
func Renameat2(odir int, oname string, ndir int, nname string, flags uint) error {
	return unix.Renameat2(odir, oname, ndir, nname, flags)
}

// LinkFD links the file fd was opened on (O_PATH) as name in dir
// (linkat with AT_EMPTY_PATH).
func LinkFD(fd, dir int, name string) error {
	return unix.Linkat(fd, "", dir, name, unix.AT_EMPTY_PATH)
}

// Symlinkat is symlinkat(2).
func Symlinkat(target string, dir int, name string) error { return unix.Symlinkat(target, dir, name) }

// ChmodFD changes the mode of the file fd was opened on (O_PATH).
func ChmodFD(fd int, mode uint32) error {
	return unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+itoa(fd), mode, 0)
}

// Ftruncate is ftruncate(2).
func Ftruncate(fd int, length int64) error { return unix.Ftruncate(fd, length) }

// UtimesFD sets the times of the file fd was opened on (O_PATH) as
// utimensat(2) with ts (nil: now).
func UtimesFD(fd int, ts []unix.Timespec) error {
	if ts == nil {
		ts = []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, "/proc/self/fd/"+itoa(fd), ts, 0)
}

// Timespec is struct timespec.
type Timespec = unix.Timespec

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// More flags of the broker's calls.
const (
	AT_REMOVEDIR      = unix.AT_REMOVEDIR
	AT_SYMLINK_FOLLOW = unix.AT_SYMLINK_FOLLOW
	RENAME_NOREPLACE  = unix.RENAME_NOREPLACE
	RENAME_EXCHANGE   = unix.RENAME_EXCHANGE
	RENAME_WHITEOUT   = unix.RENAME_WHITEOUT
)

// ConnectRaw is connect(2) of fd to the socket address sa, as bytes.
func ConnectRaw(fd int, sa []byte) error { return sockaddrCall(unix.SYS_CONNECT, fd, sa) }

// BindRaw is bind(2) of fd to the socket address sa, as bytes.
func BindRaw(fd int, sa []byte) error { return sockaddrCall(unix.SYS_BIND, fd, sa) }

// sockaddrCall is system call nr (connect or bind) of fd with the socket
// address sa, as bytes.
func sockaddrCall(nr uintptr, fd int, sa []byte) error {
	if len(sa) == 0 {
		return unix.EINVAL
	}
	_, _, e := unix.Syscall(nr, uintptr(fd), uintptr(unsafe.Pointer(&sa[0])), uintptr(len(sa)))
	if e != 0 {
		return e
	}
	return nil
}

// Socket families the broker tells apart.
const (
	AF_UNIX  = unix.AF_UNIX
	AF_INET  = unix.AF_INET
	AF_INET6 = unix.AF_INET6
)

// DupCloexec duplicates fd, close-on-exec.
func DupCloexec(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0) }

// Kstat is what the kernel's stat calls copy out of a file (its struct
// kstat), for the broker to write in the layout of another ABI.
type Kstat struct {
	DevMajor, DevMinor, RdevMajor, RdevMinor uint32
	Ino                                      uint64
	Mode                                     uint16
	Nlink, UID, GID                          uint32
	Size                                     int64
	Blksize                                  uint32
	Blocks                                   uint64
	Atime, Mtime, Ctime                      StatxTimestamp
}

// StatxTimestamp is a time of struct statx.
type StatxTimestamp struct {
	Sec  int64
	Nsec uint32
}

// StatKernel is statx(2) of fd itself (AT_EMPTY_PATH) for the basic
// stats.
func StatKernel(fd int) (Kstat, error) {
	var st unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &st); err != nil {
		return Kstat{}, err
	}
	ts := func(t unix.StatxTimestamp) StatxTimestamp { return StatxTimestamp{Sec: t.Sec, Nsec: t.Nsec} }
	return Kstat{
		DevMajor: st.Dev_major, DevMinor: st.Dev_minor, RdevMajor: st.Rdev_major, RdevMinor: st.Rdev_minor,
		Ino: st.Ino, Mode: st.Mode, Nlink: st.Nlink, UID: st.Uid, GID: st.Gid, Size: int64(st.Size),
		Blksize: st.Blksize, Blocks: st.Blocks, Atime: ts(st.Atime), Mtime: ts(st.Mtime), Ctime: ts(st.Ctime),
	}, nil
}
