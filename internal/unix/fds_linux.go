package unix

import (
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CloseInherited closes the descriptors from `from` up that the process
// got from its parent across execve rather than opened itself: those
// without FD_CLOEXEC, which every descriptor Go opens has (see
// InheritedFDs). Unlike InheritedFDs it closes a descriptor whose file
// cannot be stat'ed too (a FUSE file whose server is gone).
func CloseInherited(from int) error {
	fds, err := openFDs()
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if fd < from {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == unix.EBADF {
			continue
		}
		if err != nil {
			return err
		}
		if flags&unix.FD_CLOEXEC != 0 {
			continue
		}
		if err := unix.Close(fd); err != nil && err != unix.EBADF {
			return err
		}
	}
	return nil
}

// FileID identifies an open file: its device and inode.
type FileID struct{ Dev, Ino uint64 }

// FDID returns the FileID of descriptor fd.
func FDID(fd int) (FileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return FileID{}, err
	}
	return FileID{Dev: st.Dev, Ino: st.Ino}, nil
}

// InheritedFDs returns the descriptors of the process that are open
// without close-on-exec, by their FileID: those it inherited through
// execve, when called before the process opened any of its own without
// close-on-exec (the Go runtime and the standard library open every
// descriptor close-on-exec, and execve closed the close-on-exec ones the
// parent had). A descriptor whose file cannot be stat'ed is left out. It
// reads /proc/self/fd with raw system calls, so as not to start the
// runtime's poller.
func InheritedFDs() (map[int]FileID, error) {
	fds, err := openFDs()
	if err != nil {
		return nil, err
	}
	out := map[int]FileID{}
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			continue
		}
		if id, err := FDID(fd); err == nil {
			out[fd] = id
		}
	}
	return out, nil
}

// openFDs returns the open descriptors of the process, read from
// /proc/self/fd with raw system calls, so as not to start the runtime's
// poller.
func openFDs() ([]int, error) {
	path, err := unix.BytePtrFromString("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	dirfd := unix.AT_FDCWD
	r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(path)), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0, 0, 0)
	if e != 0 {
		return nil, e
	}
	dfd := int(r)
	defer unix.Close(dfd)
	var names []string
	buf := make([]byte, 4096)
	for {
		n, err := syscall.ReadDirent(dfd, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
	var fds []int
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd == dfd {
			continue
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// Resolve flags of openat2(2) (Linux 5.6).
const (
	RESOLVE_BENEATH       = unix.RESOLVE_BENEATH
	RESOLVE_IN_ROOT       = unix.RESOLVE_IN_ROOT
	RESOLVE_NO_MAGICLINKS = unix.RESOLVE_NO_MAGICLINKS
	O_PATH                = unix.O_PATH
	O_TMPFILE             = unix.O_TMPFILE
)

// Openat2 opens path relative to dirfd with openat2(2): flags and mode
// as open(2) takes them, resolve the RESOLVE_* flags that bound the
// path's resolution. The descriptor is close-on-exec.
func Openat2(dirfd int, path string, flags int, mode uint32, resolve uint64) (int, error) {
	return unix.Openat2(dirfd, path, &unix.OpenHow{Flags: uint64(flags) | unix.O_CLOEXEC, Mode: uint64(mode), Resolve: resolve})
}
