package launch

import (
	"fmt"
	"os"

	"github.com/syscage/syscage/internal/unix"
)

// inherited are the descriptors the process inherited, as found when the
// package was initialized, before the program's main ran; inheritedErr
// says why they are unknown.
var (
	inherited    map[int]unix.FileID
	inheritedErr error
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == StageArg {
		return // the stage keeps what its configuration says
	}
	inherited, inheritedErr = unix.InheritedFDs()
}

// Inherited returns descriptor fd as a file if the process inherited it
// from its parent: it was open, without close-on-exec, when the process
// started, and still refers to the same file. Any other descriptor is the
// process's own (the Go runtime's cgroup files, its poller's epoll and
// eventfd, ...), which a launcher must never hand to the program it
// confines: so ExtraFiles for a descriptor a user names (syscage run
// --keep-fd N) come from here. Descriptors 0, 1 and 2 are always
// inherited.
func Inherited(fd int) (*os.File, error) {
	name := fmt.Sprintf("fd %d", fd)
	if fd >= 0 && fd <= 2 {
		return os.NewFile(uintptr(fd), name), nil
	}
	if inheritedErr != nil {
		return nil, fmt.Errorf("descriptor %d: cannot tell the inherited descriptors: %w", fd, inheritedErr)
	}
	id, ok := inherited[fd]
	if !ok {
		return nil, fmt.Errorf("descriptor %d was not inherited: it was not open when this process started, or it is one of the process's own", fd)
	}
	if now, err := unix.FDID(fd); err != nil || now != id {
		return nil, fmt.Errorf("descriptor %d was inherited but has been closed or replaced since", fd)
	}
	return os.NewFile(uintptr(fd), name), nil
}
