package launch

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// OpenRule allows the program to open files in a tree: Path and, when
// it is a directory, everything beneath it; read-only unless Write.
//
// This is the resolution core of the open broker (issue: --allow-open):
// the supervisor opens the file itself, and the kernel bounds the
// resolution, so that no symbolic link, ".." or rename the program
// makes can reach a file outside an allowed tree (Cmd.AllowOpen).
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
// A rule's own path is resolved at each call, its symbolic links
// followed within the program's root (Debian's locale.alias is a link to
// /etc): name paths the program cannot change.
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

// openCalls are the calls the broker answers.
var openCalls = []string{"open", "openat", "openat2", "creat"}

// DefaultOpens are the files a dynamically linked program reads through
// the loader and libc, read-only: the loader's cache, the system's
// libraries (with glibc's gconv modules and compiled locales), the
// message catalogs and locale aliases, and the time zone data.
var DefaultOpens = []OpenRule{
	{Path: "/etc/ld.so.cache"}, {Path: "/etc/ld.so.preload"},
	{Path: "/usr/share/locale"}, {Path: "/usr/share/locale/locale.alias"}, {Path: "/etc/localtime"}, {Path: "/usr/share/zoneinfo"},
	{Path: "/lib"}, {Path: "/lib64"}, {Path: "/lib32"}, {Path: "/libx32"},
	{Path: "/usr/lib"}, {Path: "/usr/lib64"}, {Path: "/usr/lib32"}, {Path: "/usr/libx32"},
}

// decideOpen answers one notified open: the launcher opens the file
// itself (brokerOpen) and sends the program the descriptor, or answers
// EACCES (or the error of the open) and reports it.
func (s *sysCmd) decideOpen(fd int, n unix.Notif, a arch.Arch, name string, rules []OpenRule) {
	tid := int(n.PID)
	const atFDCWD = -100
	dirfd := int32(atFDCWD)
	var pathAddr uint64
	var flags int
	var mode uint32
	deny := false
	switch name {
	case "open":
		pathAddr, flags, mode = n.Args[0], int(int32(n.Args[1])), uint32(n.Args[2])
	case "openat":
		dirfd, pathAddr, flags, mode = int32(n.Args[0]), n.Args[1], int(int32(n.Args[2])), uint32(n.Args[3])
	case "openat2":
		dirfd, pathAddr = int32(n.Args[0]), n.Args[1]
		how, ok := unix.ReadMem(tid, n.Args[2], 24)
		order := a.ByteOrder()
		if !ok || n.Args[3] < 24 {
			deny = true
		} else {
			flags, mode = int(order.Uint64(how[0:8])), uint32(order.Uint64(how[8:16]))
			// The program's own resolve flags would narrow ours; the
			// launcher does not apply them, so it refuses them.
			deny = order.Uint64(how[16:24])&^uint64(unix.RESOLVE_NO_MAGICLINKS) != 0
		}
	case "creat":
		pathAddr, flags, mode = n.Args[0], syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC, uint32(n.Args[1])
	}
	// Copied once; everything below uses these copies.
	file, readOK := unix.ReadString(tid, pathAddr, 4096)
	base := "/proc/" + strconv.Itoa(tid) + "/cwd"
	if dirfd != atFDCWD {
		base = "/proc/" + strconv.Itoa(tid) + "/fd/" + strconv.Itoa(int(dirfd))
	}
	baseDir, berr := os.Readlink(base)
	root, rerr := syscall.Open("/proc/"+strconv.Itoa(tid)+"/root", unix.O_PATH|syscall.O_CLOEXEC, 0)
	if rerr == nil {
		defer syscall.Close(root)
	}
	if !unix.NotifIDValid(fd, n.ID) {
		return
	}
	errno := unix.EACCES
	switch {
	case deny || !readOK || rerr != nil:
	case berr != nil && !strings.HasPrefix(file, "/"):
	default:
		f, err := brokerOpen(rules, root, baseDir, file, flags, mode)
		if err == nil {
			unix.NotifAddFDSend(fd, n.ID, int(f.Fd()), flags&syscall.O_CLOEXEC != 0)
			f.Close()
			return
		}
		var en syscall.Errno
		if errors.As(err, &en) {
			// The file is in a tree; the open itself failed (ENOENT,
			// EISDIR, ...): the program gets what open would say.
			unix.NotifError(fd, n.ID, en)
			return
		}
	}
	// The caller waits for the answer: its name and process are its own.
	comm, tgid := taskInfo(tid)
	if unix.NotifError(fd, n.ID, errno) != nil {
		return // the call is gone
	}
	if tgid == 0 {
		tgid = tid
	}
	v := Violation{Record: Record{Arch: a, Nr: uint32(n.Nr), Ret: seccomp.SECCOMP_RET_ERRNO | uint32(errno), Args: n.Args, HasArgs: true},
		Name: name, Action: profile.Action{Kind: profile.ActErrno, Data: uint16(errno)}, Source: "notification"}
	if !readOK {
		file = "(unreadable)"
	}
	s.events.add(TreeEvent{PID: tgid, Comm: comm, Violation: v, Policy: "allow-open", Path: file})
}
