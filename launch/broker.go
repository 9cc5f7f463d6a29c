package launch

import (
	"errors"
	"path"
	"strings"
	"syscall"
)

// A Broker answers a program's calls that name files: it opens, stats,
// checks or reads the file itself and gives the program the descriptor
// or the result, as Chrome's broker process does; the program never
// resolves a path itself. Its Policy decides which trees a call may
// reach; the broker resolves the path beneath them (openat2 with
// RESOLVE_BENEATH and RESOLVE_NO_MAGICLINKS), so no symbolic link, ".."
// or rename the program makes can leave a tree the policy named.
//
// Set Cmd.Broker to run a program with one; Cmd.AllowOpen is a Broker
// whose Policy is OpenRules. The calls brokered are open, openat,
// openat2, creat, stat, lstat, newfstatat, statx, access, faccessat,
// faccessat2, readlink and readlinkat, on every ABI the host runs. The
// launcher reads each call's arguments once (the path, openat2's
// open_how), checks with SECCOMP_IOCTL_NOTIF_ID_VALID that the call is
// still pending, and then works from its copies: it never lets a call
// that takes a pointer go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE), since
// the kernel would read the memory again. An open gets its descriptor
// with SECCOMP_IOCTL_NOTIF_ADDFD and SECCOMP_ADDFD_FLAG_SEND; a stat, a
// readlink, an access check is done on a descriptor the broker opened,
// and its result written to the caller's buffer through /proc/PID/mem
// (opened before the call was checked to be pending, so it is the
// caller's memory), only where the caller's mappings are writable: the
// kernel's own copy to a call's buffer fails (EFAULT) on a read-only or
// executable page, which /proc/PID/mem would write through. A stat of a
// descriptor the program holds (fstat(3) in glibc is newfstatat with
// AT_EMPTY_PATH and "") is done on a copy of that descriptor
// (pidfd_getfd): no path is involved.
//
// connect and bind go to the broker too, and it makes them itself on a
// copy of the program's socket (pidfd_getfd) with the address it copied:
// a unix socket's path is resolved beneath a tree as a file is (OpConnect
// and OpBind, asked as writes: the kernel asks write permission on the
// socket file), so that no program reaches a daemon's socket outside its
// trees (docker.sock, the D-Bus system bus); other addresses are decided
// by the policy when it is a ConnectPolicy, else made as asked (the
// profile's to restrict). A datagram sent with an address (sendto,
// sendmsg) is not brokered: the profile decides it. On ABIs that
// multiplex socket calls (i386's socketcall), connect and bind are
// refused (EACCES) and the other calls go on, decided by the call number
// alone.
//
// Files of a process in /proc are opened only for the caller's own
// process (/proc/self is taken as the caller's, not the launcher's), and
// never through the "magic" links of /proc (fd/N, cwd, root, exe), which
// RESOLVE_NO_MAGICLINKS refuses.
//
// The broker opens files with the launcher's credentials: a file the
// policy allows opens even where the program's own user could not open
// it, and a file it creates belongs to the launcher's user, with the mode
// the program asked less the program's umask (and the launcher's).
type Broker struct {
	Policy BrokerPolicy
}

// BrokerPolicy decides the calls of a Broker.
type BrokerPolicy interface {
	// Decide returns the trees beneath which r.Path may be resolved for
	// r, or none to refuse the call. It is called from the launcher's
	// supervisor goroutine, one call at a time.
	Decide(r BrokerRequest) BrokerDecision
}

// ConnectPolicy decides the connects of a Broker to network addresses
// (AF_INET, AF_INET6) and abstract unix sockets, when the Broker's
// Policy implements it too. Addr is the address as the program gave
// it: a netip.AddrPort for IP, "@name" for an abstract unix socket.
// It returns 0 to connect, or the errno to fail the call with.
type ConnectPolicy interface {
	DecideConnect(pid int, family int, addr string) syscall.Errno
}

// BrokerOp is what a brokered call does with its file.
type BrokerOp int

// The operations of brokered calls.
const (
	OpOpen     BrokerOp = iota // open, openat, openat2, creat
	OpStat                     // stat, lstat, newfstatat, statx
	OpAccess                   // access, faccessat, faccessat2
	OpReadlink                 // readlink, readlinkat
	OpMkdir                    // mkdir, mkdirat
	OpRemove                   // unlink, unlinkat, rmdir
	OpRename                   // rename, renameat, renameat2: asked for both paths
	OpLink                     // link, linkat: asked for both paths
	OpSymlink                  // symlink, symlinkat: asked for the link's path
	OpChmod                    // chmod, fchmodat, fchmodat2
	OpTruncate                 // truncate
	OpUtimes                   // utimensat
	OpConnect                  // connect to a unix socket by its path
	OpBind                     // bind a unix socket to a path
)

func (o BrokerOp) String() string {
	switch o {
	case OpOpen:
		return "open"
	case OpStat:
		return "stat"
	case OpAccess:
		return "access"
	case OpReadlink:
		return "readlink"
	case OpMkdir:
		return "mkdir"
	case OpRemove:
		return "remove"
	case OpRename:
		return "rename"
	case OpLink:
		return "link"
	case OpSymlink:
		return "symlink"
	case OpChmod:
		return "chmod"
	case OpTruncate:
		return "truncate"
	case OpUtimes:
		return "utimes"
	case OpConnect:
		return "connect"
	case OpBind:
		return "bind"
	}
	return "op?"
}

// BrokerRequest is a brokered call, as the launcher read it.
type BrokerRequest struct {
	PID  int    // the calling process (thread group id)
	Call string // the system call's name on its ABI
	Op   BrokerOp
	// Path is the file's absolute path in the program's root: the name
	// the program gave, after its working directory or the directory of
	// its dirfd (as /proc says it), not cleaned (".." is the kernel's
	// to resolve beneath a tree). "/proc/self" and "/proc/thread-self"
	// at its start are the caller's own.
	Path string
	// Flags are the open flags in the host's values (O_LARGEFILE, which
	// the 64-bit kernel implies, cleared). For an access check they are
	// O_RDWR when W_OK is asked, else O_RDONLY; for a stat or a readlink
	// O_PATH; for a call that changes the file system (OpMkdir and
	// after) O_RDWR|O_CREAT.
	Flags int
}

// Writes reports whether the request may change the file system or a
// file: an open for writing, creating, truncating or appending, or an
// access check for W_OK.
func (r BrokerRequest) Writes() bool {
	return r.Flags&syscall.O_ACCMODE != syscall.O_RDONLY || r.Flags&(syscall.O_CREAT|syscall.O_TRUNC|syscall.O_APPEND) != 0
}

// BrokerDecision is a BrokerPolicy's answer.
type BrokerDecision struct {
	// Trees are the directories (or files) beneath which the path may be
	// resolved, tried in order; none refuses the call.
	Trees []string
	// Errno is the error of a refusal; 0 means EACCES.
	Errno syscall.Errno
}

// OpenRule allows the program to open files in a tree: Path and, when
// it is a directory, everything beneath it; read-only unless Write.
//
// This is the policy of the open broker (Cmd.AllowOpen, OpenRules): the
// supervisor opens the file itself, and the kernel bounds the
// resolution, so that no symbolic link, ".." or rename the program
// makes can reach a file outside an allowed tree.
type OpenRule struct {
	Path  string // absolute, as the program sees it (in its root)
	Write bool
}

// OpenRules is the BrokerPolicy of Cmd.AllowOpen: a call may reach a
// file beneath the Path of each rule whose path is a prefix of the
// request's (by whole components), and that allows writing when the
// request writes.
//
// A name outside every tree, even one whose symbolic link leads into
// one, is refused: the program names allowed files by their paths in a
// tree. A rule's own path is resolved at each call, its symbolic links
// followed within the program's root (Debian's locale.alias is a link
// to /etc): name paths the program cannot change.
type OpenRules []OpenRule

// Decide implements BrokerPolicy.
func (rs OpenRules) Decide(r BrokerRequest) BrokerDecision {
	var d BrokerDecision
	for _, rule := range rs {
		if _, ok := beneath(path.Clean(rule.Path), r.Path); !ok {
			continue
		}
		if r.Writes() && !rule.Write {
			continue
		}
		d.Trees = append(d.Trees, rule.Path)
	}
	return d
}

// beneath returns abs relative to tree ("." for the tree itself) when abs
// names the tree or a name beneath it by its text.
func beneath(tree, abs string) (string, bool) {
	var rel string
	switch {
	case abs == tree || abs == tree+"/":
		rel = "."
	case tree == "/":
		rel = strings.TrimLeft(abs, "/")
	case strings.HasPrefix(abs, tree+"/"):
		rel = strings.TrimLeft(abs[len(tree)+1:], "/")
	default:
		return "", false
	}
	if rel == "" {
		rel = "."
	}
	return rel, true
}

// errOpenDenied is the broker's refusal (the program gets EACCES).
var errOpenDenied = errors.New("not in an allowed tree")

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
