package launch

import (
	"fmt"
	"os"
	"sync"

	"github.com/syscage/syscage/internal/unix"
)

// inherited are the descriptors the process inherited, as found when the
// package was initialized, before the program's main ran; inheritedErr
// says why they are unknown.
var (
	inherited    map[int]unix.FileID
	inheritedErr error

	inheritedMu    sync.Mutex
	inheritedFiles = map[int]*os.File{} // the files Inherited returned
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
// inherited: they are os.Stdin, os.Stdout and os.Stderr.
//
// Every call for the same descriptor returns the same file, the one
// owner of the descriptor: a second *os.File would close the descriptor
// when the garbage collector finalizes it, while the first is in use
// (or after the number was reused for another file).
func Inherited(fd int) (*os.File, error) {
	if fd >= 0 && fd <= 2 {
		if f := []*os.File{os.Stdin, os.Stdout, os.Stderr}[fd]; f != nil && f.Fd() == uintptr(fd) {
			return f, nil
		}
	} else {
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
	}
	inheritedMu.Lock()
	defer inheritedMu.Unlock()
	if f, ok := inheritedFiles[fd]; ok && f.Fd() == uintptr(fd) { // not closed by its user since
		return f, nil
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("fd %d", fd))
	inheritedFiles[fd] = f
	return f, nil
}
