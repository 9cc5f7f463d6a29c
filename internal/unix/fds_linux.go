package unix

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Inherited returns the descriptors from `from` up that the process got
// from its parent across execve, rather than opened itself: those
// without FD_CLOEXEC. Go opens every descriptor close-on-exec (the
// runtime's cgroup files, the network poller's epoll and eventfd, every
// os.Open), and execve keeps only descriptors without the flag, which it
// leaves as they were; so a descriptor without it was inherited, or
// cleared on purpose by the program.
func Inherited(from int) ([]int, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < from {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == unix.EBADF {
			continue // the directory's own descriptor, closed by now
		}
		if err != nil {
			return nil, err
		}
		if flags&unix.FD_CLOEXEC == 0 {
			out = append(out, fd)
		}
	}
	return out, nil
}

// CloseInherited closes the descriptors Inherited returns.
func CloseInherited(from int) error {
	fds, err := Inherited(from)
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if err := unix.Close(fd); err != nil && err != unix.EBADF {
			return err
		}
	}
	return nil
}
