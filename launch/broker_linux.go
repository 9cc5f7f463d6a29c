package launch

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/syscage/syscage/internal/unix"
)

// OpenRule allows the program to open files in a tree: Path and, when
// it is a directory, everything beneath it; read-only unless Write.
//
// This is the resolution core of the open broker (issue: --allow-open):
// the supervisor opens the file itself, and the kernel bounds the
// resolution, so that no symbolic link, ".." or rename the program
// makes can reach a file outside an allowed tree. Answering the
// program's open, openat, openat2 and creat with the descriptor
// (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND) is not wired
// yet.
type OpenRule struct {
	Path  string // absolute, as the program sees it (in its root)
	Write bool
}

// errOpenDenied is the broker's refusal (the program gets EACCES).
var errOpenDenied = errors.New("not in an allowed tree")

// writeFlags are the open flags that need a rule with Write.
const writeFlags = syscall.O_WRONLY | syscall.O_RDWR | syscall.O_CREAT | syscall.O_TRUNC | syscall.O_APPEND

// brokerOpen opens name for the program as open(2) with flags and mode
// would, when it lies in a tree of rules that allows the access. root
// is a descriptor of the program's root directory (/proc/PID/root),
// base the absolute path (in that root) of the directory a relative
// name is taken from (the program's working directory, or the directory
// its dirfd names).
//
// The name is matched against each tree by its text: a name under the
// tree's path is opened from a descriptor of the tree with
// RESOLVE_BENEATH and RESOLVE_NO_MAGICLINKS, so the kernel refuses
// (EXDEV) any ".." or symbolic link that would leave the tree, whatever
// the program renames meanwhile; the tree itself is opened with
// RESOLVE_IN_ROOT, so its own path resolves in the program's root. A
// name outside every tree, even one whose symbolic link leads into one,
// is refused: the program names allowed files by their paths in a tree.
func brokerOpen(rules []OpenRule, root int, base, name string, flags int, mode uint32) (*os.File, error) {
	if name == "" {
		return nil, syscall.ENOENT
	}
	if flags&syscall.O_CREAT == 0 && flags&unix.O_TMPFILE != unix.O_TMPFILE {
		mode = 0 // openat2 refuses a mode it would not use
	}
	abs := name
	if !strings.HasPrefix(name, "/") {
		abs = strings.TrimSuffix(base, "/") + "/" + name
	}
	for _, r := range rules {
		tree := path.Clean(r.Path)
		var rel string
		switch {
		case abs == tree || abs == tree+"/":
			rel = "."
		case tree == "/":
			rel = strings.TrimLeft(abs, "/")
		case strings.HasPrefix(abs, tree+"/"):
			rel = strings.TrimLeft(abs[len(tree)+1:], "/")
		default:
			continue
		}
		if rel == "" {
			rel = "."
		}
		if flags&writeFlags != 0 && !r.Write {
			continue
		}
		if rel == "." {
			// The tree itself (a file rule, or the directory).
			fd, err := unix.Openat2(root, tree, flags&^syscall.O_CLOEXEC, mode, unix.RESOLVE_IN_ROOT|unix.RESOLVE_NO_MAGICLINKS)
			if err != nil {
				return nil, err
			}
			return os.NewFile(uintptr(fd), abs), nil
		}
		tfd, err := unix.Openat2(root, tree, unix.O_PATH, 0, unix.RESOLVE_IN_ROOT|unix.RESOLVE_NO_MAGICLINKS)
		if err != nil {
			continue
		}
		fd, err := unix.Openat2(tfd, rel, flags&^syscall.O_CLOEXEC, mode, unix.RESOLVE_BENEATH|unix.RESOLVE_NO_MAGICLINKS)
		syscall.Close(tfd)
		if errors.Is(err, syscall.EXDEV) {
			continue // leaves this tree: another may hold it
		}
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), abs), nil
	}
	return nil, fmt.Errorf("open %s: %w", abs, errOpenDenied)
}
