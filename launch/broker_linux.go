package launch

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// brokerCalls are the calls a Broker answers, by their names on every
// ABI (a name an ABI lacks is skipped).
var brokerCalls = []string{
	"open", "openat", "openat2", "creat",
	"stat", "lstat", "newfstatat", "statx", "stat64", "lstat64", "fstatat64", "oldstat", "oldlstat",
	"access", "faccessat", "faccessat2",
	"readlink", "readlinkat",
	"mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2",
	"link", "linkat", "symlink", "symlinkat", "chmod", "fchmodat", "fchmodat2", "truncate", "utimensat",
}

// refusedCalls name a file and are not done by the broker: they are
// refused with their errno, so that none reaches a file around it.
var refusedCalls = map[string]syscall.Errno{
	"chown": syscall.EPERM, "lchown": syscall.EPERM, "fchownat": syscall.EPERM, "chown32": syscall.EPERM, "lchown32": syscall.EPERM,
	"mknod": syscall.EPERM, "mknodat": syscall.EPERM,
	"statfs": syscall.EACCES, "statfs64": syscall.EACCES, "uselib": syscall.EACCES, "inotify_add_watch": syscall.EACCES,
	"fanotify_mark": syscall.EACCES, "name_to_handle_at": syscall.EACCES,
	"open_by_handle_at": syscall.EPERM, "io_uring_setup": syscall.EPERM,
	"setxattr": syscall.EOPNOTSUPP, "lsetxattr": syscall.EOPNOTSUPP, "getxattr": syscall.EOPNOTSUPP, "lgetxattr": syscall.EOPNOTSUPP,
	"listxattr": syscall.EOPNOTSUPP, "llistxattr": syscall.EOPNOTSUPP, "removexattr": syscall.EOPNOTSUPP, "lremovexattr": syscall.EOPNOTSUPP,
	"setxattrat": syscall.EOPNOTSUPP, "getxattrat": syscall.EOPNOTSUPP, "listxattrat": syscall.EOPNOTSUPP, "removexattrat": syscall.EOPNOTSUPP,
	"utime": syscall.ENOSYS, "utimes": syscall.ENOSYS, "futimesat": syscall.ENOSYS, "truncate64": syscall.ENOSYS,
}

// brokered are the calls a Broker answers or refuses, by name.
var brokered = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range brokerNotified() {
		m[n] = true
	}
	return m
}()

// brokerNotified are the calls a Broker is notified of.
func brokerNotified() []string {
	names := slices.Concat(brokerCalls, socketCalls)
	for n := range refusedCalls {
		names = append(names, n)
	}
	slices.Sort(names[len(brokerCalls)+len(socketCalls):])
	return names
}

// callArgs is a brokered call's arguments, decoded by its name.
type callArgs struct {
	op       BrokerOp
	dirfd    int32
	path     uint64
	flags    uint64 // open flags, as the caller passed them
	mode     uint32 // the creation mode, or access's mode
	atFlags  uint64 // AT_* flags of the *at calls
	buf      uint64 // where a result goes
	size     uint64 // readlink's buffer size
	mask     uint32 // statx's mask
	how      bool   // openat2: flags and mode come from struct open_how
	howAddr  uint64 // openat2's struct open_how and its size
	howSize  uint64
	layout   int  // of a stat's result: statNative, statStatx, or 0 when the broker cannot write it
	nofollow bool // lstat
	// The second path of rename and link (the new name), or symlink's
	// target (for symlink, path is the link).
	path2  uint64
	dirfd2 int32
	length int64 // truncate's
}

const (
	atFDCWD        = -100
	statNative     = 1 // the host's struct stat
	statStatx      = 2 // struct statx
	statI386Stat64 = 3 // i386's struct stat64
	statI386Stat   = 4 // i386's struct stat
)

// decodeCall decodes the arguments of call name on ABI a.
func decodeCall(a, native arch.Arch, name string, args [6]uint64) (callArgs, bool) {
	c := callArgs{dirfd: atFDCWD}
	// The host's struct stat is that of its native ABI, and of x32 on
	// x86_64 (which uses x86_64's stat calls); i386's layouts the broker
	// writes itself (statlayout.go), on any host; other ABIs' are not
	// written (the call gets ENOSYS; glibc uses statx first).
	sameStat := a != arch.X86 && (a == native || (native == arch.X86_64 && a == arch.X32))
	switch name {
	case "open":
		c.path, c.flags, c.mode = args[0], args[1], uint32(args[2])
	case "openat":
		c.dirfd, c.path, c.flags, c.mode = int32(args[0]), args[1], args[2], uint32(args[3])
	case "openat2":
		c.dirfd, c.path, c.how, c.howAddr, c.howSize = int32(args[0]), args[1], true, args[2], args[3]
	case "creat":
		c.path, c.flags, c.mode = args[0], syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC, uint32(args[1])
	case "stat", "lstat", "stat64", "lstat64", "oldstat", "oldlstat":
		c.op, c.path, c.buf = OpStat, args[0], args[1]
		c.nofollow = strings.Contains(name, "lstat")
		switch {
		case a == arch.X86 && (name == "stat" || name == "lstat"):
			c.layout = statI386Stat
		case a == arch.X86 && (name == "stat64" || name == "lstat64"):
			c.layout = statI386Stat64
		case sameStat && (name == "stat" || name == "lstat"):
			c.layout = statNative
		}
	case "newfstatat", "fstatat64":
		c.op, c.dirfd, c.path, c.buf, c.atFlags = OpStat, int32(args[0]), args[1], args[2], args[3]
		switch {
		case a == arch.X86 && name == "fstatat64":
			c.layout = statI386Stat64
		case sameStat && name == "newfstatat":
			c.layout = statNative
		}
	case "statx":
		c.op, c.dirfd, c.path, c.atFlags, c.mask, c.buf = OpStat, int32(args[0]), args[1], args[2], uint32(args[3]), args[4]
		c.layout = statStatx
	case "access":
		c.op, c.path, c.mode = OpAccess, args[0], uint32(args[1])
	case "faccessat":
		c.op, c.dirfd, c.path, c.mode = OpAccess, int32(args[0]), args[1], uint32(args[2])
	case "faccessat2":
		c.op, c.dirfd, c.path, c.mode, c.atFlags = OpAccess, int32(args[0]), args[1], uint32(args[2]), args[3]
	case "readlink":
		c.op, c.path, c.buf, c.size = OpReadlink, args[0], args[1], args[2]
	case "readlinkat":
		c.op, c.dirfd, c.path, c.buf, c.size = OpReadlink, int32(args[0]), args[1], args[2], args[3]
	case "mkdir":
		c.op, c.path, c.mode = OpMkdir, args[0], uint32(args[1])
	case "mkdirat":
		c.op, c.dirfd, c.path, c.mode = OpMkdir, int32(args[0]), args[1], uint32(args[2])
	case "unlink", "rmdir":
		c.op, c.path = OpRemove, args[0]
		if name == "rmdir" {
			c.atFlags = unix.AT_REMOVEDIR
		}
	case "unlinkat":
		c.op, c.dirfd, c.path, c.atFlags = OpRemove, int32(args[0]), args[1], args[2]
	case "rename", "link":
		c.op, c.path, c.path2 = OpRename, args[0], args[1]
		c.dirfd2 = atFDCWD
	case "renameat", "renameat2", "linkat":
		c.op, c.dirfd, c.path, c.dirfd2, c.path2 = OpRename, int32(args[0]), args[1], int32(args[2]), args[3]
		if name != "renameat" {
			c.atFlags = args[4]
		}
	case "symlink":
		c.op, c.path2, c.path, c.dirfd2 = OpSymlink, args[0], args[1], atFDCWD
	case "symlinkat":
		c.op, c.path2, c.dirfd, c.path, c.dirfd2 = OpSymlink, args[0], int32(args[1]), args[2], atFDCWD
	case "chmod":
		c.op, c.path, c.mode = OpChmod, args[0], uint32(args[1])
	case "fchmodat", "fchmodat2":
		c.op, c.dirfd, c.path, c.mode = OpChmod, int32(args[0]), args[1], uint32(args[2])
		if name == "fchmodat2" {
			c.atFlags = args[3]
		}
	case "truncate":
		c.op, c.path, c.length = OpTruncate, args[0], int64(args[1])
		if a.Bits() == 32 {
			c.length = int64(int32(args[1])) // a compat off_t
		}
	case "utimensat":
		c.op, c.dirfd, c.path, c.buf, c.atFlags = OpUtimes, int32(args[0]), args[1], args[2], args[3]
		if sameStat {
			c.layout = statNative // two timespecs of 64-bit fields
		}
	default:
		return c, false
	}
	if name == "link" || name == "linkat" {
		c.op = OpLink
	}
	if a.Bits() == 32 {
		c.path2 = uint64(uint32(c.path2))
		// A 32-bit ABI's registers are 32 bits: the kernel ignores what
		// seccomp_data shows above them (zero, from the kernel).
		c.path, c.buf, c.size, c.atFlags = uint64(uint32(c.path)), uint64(uint32(c.buf)), uint64(uint32(c.size)), uint64(uint32(c.atFlags))
		c.flags, c.howAddr, c.howSize = uint64(uint32(c.flags)), uint64(uint32(c.howAddr)), uint64(uint32(c.howSize))
	}
	if !c.how && c.op == OpOpen {
		// open, openat and creat take an int: the kernel ignores the
		// high bits (openat2's u64 flags are checked whole).
		c.flags = uint64(uint32(c.flags))
	}
	return c, true
}

// largeFile is the kernel's O_LARGEFILE on ABIs of arch a's family: a
// 32-bit program passes it, a 64-bit one gets it implied.
func largeFile(a arch.Arch) uint64 {
	switch a {
	case arch.ARM, arch.AARCH64:
		return 0o400000
	case arch.X86, arch.X86_64, arch.X32:
		return 0o100000
	}
	return 0 // unknown here: a flag the broker does not know is refused
}

// knownOpenFlags are the open flags the broker passes on, in the host's
// values (a host's compat ABIs share them, but for O_LARGEFILE).
const knownOpenFlags = syscall.O_ACCMODE | syscall.O_CREAT | syscall.O_EXCL | syscall.O_NOCTTY |
	syscall.O_TRUNC | syscall.O_APPEND | syscall.O_NONBLOCK | unix.O_DSYNC | unix.O_ASYNC | unix.O_DIRECT |
	unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NOATIME | syscall.O_CLOEXEC | unix.O_SYNC | unix.O_PATH | unix.O_TMPFILE

// hostOpenFlags returns the open flags raw of a call from ABI a in the
// host's values, or EINVAL for a flag the broker does not know (the
// kernel ignores unknown bits of open and openat; the broker refuses
// what it would otherwise pass on without knowing it).
func hostOpenFlags(a arch.Arch, raw uint64) (int, error) {
	raw &^= largeFile(a)
	if raw&^uint64(knownOpenFlags) != 0 {
		return 0, syscall.EINVAL
	}
	return int(raw), nil
}

// callerState is what the broker reads of the caller's process before it
// checks that the call is still pending.
type callerState struct {
	name    string // the path, copied once
	nameOK  bool
	how     []byte // openat2's open_how, copied once
	name2   string // the second path (rename's and link's new name, symlink's target), copied once
	name2OK bool
	base2   string // the directory a relative name2 is taken from
	times   []byte // utimensat's two timespecs, copied once
	base    string // the directory a relative name is taken from
	baseErr error
	proc    int // the caller's /proc directory, O_PATH; -1
	root    int // the caller's root directory, O_PATH; -1
	mem     *os.File
	heldFD  int // a copy of the caller's dirfd, for AT_EMPTY_PATH with ""
	tgid    int
	nsTgid  int // the caller's thread group id and thread id in its own pid namespace
	nsTid   int
	umask   uint32
	comm    string
}

func (s *callerState) close() {
	if s.root >= 0 {
		syscall.Close(s.root)
	}
	if s.heldFD >= 0 {
		syscall.Close(s.heldFD)
	}
	if s.mem != nil {
		s.mem.Close()
	}
	if s.proc >= 0 {
		syscall.Close(s.proc)
	}
}

// readCaller reads what the broker needs of task tid for call c. Every
// file of the task is opened from one descriptor of its /proc directory,
// which stays the task's: if the task ends and its id is taken, reads
// through it fail rather than read the newcomer. The caller's memory is
// read by its id (process_vm_readv), which NotifIDValid then proves was
// the caller's; the descriptor for writing results into it (mem) is
// opened, from the /proc directory, only for the calls that have one.
// The working directory is read only for a relative name.
func readCaller(tid int, c callArgs) *callerState {
	s := &callerState{root: -1, heldFD: -1, proc: -1}
	pfd, err := syscall.Open("/proc/"+strconv.Itoa(tid), unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return s
	}
	s.proc = pfd
	if c.op == OpStat || c.op == OpReadlink || c.path == 0 {
		if fd, err := syscall.Openat(pfd, "mem", syscall.O_RDWR|syscall.O_CLOEXEC, 0); err == nil {
			s.mem = os.NewFile(uintptr(fd), "mem")
		}
	}
	if c.path != 0 {
		s.name, s.nameOK = unix.ReadStringVM(tid, c.path, 4096)
	}
	if c.how && c.howSize >= 24 {
		if how := make([]byte, 24); unix.ReadVM(tid, c.howAddr, how) {
			s.how = how
		}
	}
	if c.path2 != 0 {
		s.name2, s.name2OK = unix.ReadStringVM(tid, c.path2, 4096)
	}
	if c.op == OpUtimes && c.buf != 0 {
		if t := make([]byte, 32); unix.ReadVM(tid, c.buf, t) {
			s.times = t
		}
	}
	if c.op == OpUtimes && c.path == 0 {
		s.nameOK = true // NULL: the file of dirfd (futimens)
	}
	s.tgid, s.comm = readStatus(s)
	if s.nameOK && s.name == "" && c.emptyPath() && c.dirfd != atFDCWD && s.tgid != 0 {
		if fd, err := unix.TakeFD(s.tgid, int(c.dirfd)); err == nil {
			s.heldFD = fd
		}
	}
	if !s.nameOK || !strings.HasPrefix(s.name, "/") {
		base := "cwd"
		if c.dirfd != atFDCWD {
			base = "fd/" + strconv.Itoa(int(c.dirfd))
		}
		s.base, s.baseErr = readlinkat(pfd, base)
	}
	if c.path2 != 0 && c.op != OpSymlink && (!s.name2OK || !strings.HasPrefix(s.name2, "/")) {
		base2 := "cwd"
		if c.dirfd2 != atFDCWD {
			base2 = "fd/" + strconv.Itoa(int(c.dirfd2))
		}
		s.base2, _ = readlinkat(pfd, base2)
	}
	if fd, err := syscall.Openat(pfd, "root", unix.O_PATH|syscall.O_CLOEXEC, 0); err == nil {
		s.root = fd
	}
	return s
}

// readlinkat reads the symbolic link name in directory dir.
func readlinkat(dir int, name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// openProc opens the file name of the caller's /proc directory.
func (s *callerState) openProc(name string) (*os.File, error) {
	fd, err := syscall.Openat(s.proc, name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// emptyPath reports whether an empty name means the file of dirfd
// itself (AT_EMPTY_PATH; readlinkat takes "" so without a flag).
func (c callArgs) emptyPath() bool {
	switch c.op {
	case OpStat, OpAccess, OpChmod:
		return c.atFlags&unix.AT_EMPTY_PATH != 0
	case OpReadlink, OpUtimes:
		return true
	}
	return false
}

// readStatus reads the caller's thread group, name, umask and ids in its
// pid namespace from its status.
func readStatus(s *callerState) (tgid int, comm string) {
	fd, err := syscall.Openat(s.proc, "status", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, ""
	}
	defer syscall.Close(fd)
	b := make([]byte, 0, 4096)
	for {
		n, err := syscall.Read(fd, b[len(b):cap(b)])
		if err != nil {
			return 0, ""
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
		if len(b) < cap(b) {
			// A short read of a procfs file shown at once (single_open)
			// is all of it.
			break
		}
		b = slices.Grow(b, 4096)
	}
	return parseStatus(b, s)
}

// parseStatus reads a /proc/PID/status into s.
func parseStatus(b []byte, s *callerState) (tgid int, comm string) {
	last := func(v string) int {
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.Atoi(f[len(f)-1])
		return n
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":\t")
		switch {
		case !ok:
		case k == "Name":
			comm = unescapeStatusName(v)
		case k == "Tgid":
			tgid, _ = strconv.Atoi(strings.TrimSpace(v))
		case k == "Umask":
			u, _ := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			s.umask = uint32(u)
		case k == "NStgid":
			s.nsTgid = last(v)
		case k == "NSpid":
			s.nsTid = last(v)
		}
	}
	return tgid, comm
}

// serve answers one notified call of the broker. It returns the
// refusal to report, if the broker refused the call.
func (b *Broker) serve(fd int, n unix.Notif, a, native arch.Arch, name, policy string) *TreeEvent {
	tid := int(n.PID)
	if slices.Contains(socketCalls, name) {
		return b.serveSocket(fd, n, a, name, policy)
	}
	if errno, ok := refusedCalls[name]; ok {
		comm, tgid := taskInfo(tid)
		if tgid == 0 {
			tgid = tid
		}
		if unix.NotifError(fd, n.ID, errno) != nil {
			return nil
		}
		v := Violation{Record: Record{Arch: a, Nr: uint32(n.Nr), Ret: seccomp.SECCOMP_RET_ERRNO | uint32(errno), Args: n.Args, HasArgs: true},
			Name: name, Action: profile.Action{Kind: profile.ActErrno, Data: uint16(errno)}, Source: "notification"}
		return &TreeEvent{PID: tgid, Comm: comm, Violation: v, Policy: policy}
	}
	c, ok := decodeCall(a, native, name, n.Args)
	if !ok {
		unix.NotifError(fd, n.ID, syscall.ENOSYS)
		return nil
	}
	st := readCaller(tid, c)
	defer st.close()
	// Everything the broker uses of the caller is read: from here on
	// only these copies count, and they are the caller's if the call is
	// still pending.
	if !unix.NotifIDValid(fd, n.ID) {
		return nil
	}
	req := BrokerRequest{PID: st.tgid, Call: name, Op: c.op}
	errno, refused := b.answer(fd, n, a, c, st, &req)
	if !refused {
		return nil
	}
	if unix.NotifError(fd, n.ID, errno) != nil {
		return nil // the call is gone
	}
	tgid := st.tgid
	if tgid == 0 {
		tgid = tid
	}
	v := Violation{Record: Record{Arch: a, Nr: uint32(n.Nr), Ret: seccomp.SECCOMP_RET_ERRNO | uint32(errno), Args: n.Args, HasArgs: true},
		Name: name, Action: profile.Action{Kind: profile.ActErrno, Data: uint16(errno)}, Source: "notification"}
	p := req.Path
	switch {
	case !st.nameOK:
		p = "(unreadable)"
	case p == "":
		p = st.name
	}
	return &TreeEvent{PID: tgid, Comm: st.comm, Violation: v, Policy: policy, Path: p}
}

// notifFailed answers notification id on fd with the errno of err
// (EACCES when it has none): the call failed as the call itself would.
func notifFailed(fd int, id uint64, err error) (syscall.Errno, bool) {
	var en syscall.Errno
	if !errors.As(err, &en) {
		en = syscall.EACCES
	}
	unix.NotifError(fd, id, en)
	return 0, false
}

// decide returns the trees the policy gives r and the errno of its
// refusal (EACCES unless the policy names one).
func (b *Broker) decide(r BrokerRequest) ([]string, syscall.Errno) {
	d := b.Policy.Decide(r)
	if d.Errno == 0 {
		d.Errno = syscall.EACCES
	}
	return d.Trees, d.Errno
}

// answer does the call, or returns the errno to answer and whether it is
// a refusal of the policy (reported) rather than the call's own error.
// It answers the call itself when it succeeds or fails as the call
// would.
func (b *Broker) answer(fd int, n unix.Notif, a arch.Arch, c callArgs, st *callerState, req *BrokerRequest) (syscall.Errno, bool) {
	callErr := func(err error) (syscall.Errno, bool) { return notifFailed(fd, n.ID, err) }
	if !st.nameOK || st.root < 0 || st.tgid == 0 {
		return syscall.EACCES, true
	}
	flags := 0
	var mode uint32 // the creation mode of an open
	switch c.op {
	case OpOpen:
		raw := c.flags
		if c.how {
			if c.howSize < 24 || len(st.how) != 24 {
				return callErr(syscall.EINVAL)
			}
			order := a.ByteOrder()
			raw, mode = order.Uint64(st.how[0:8]), uint32(order.Uint64(st.how[8:16]))
			if order.Uint64(st.how[16:24])&^uint64(unix.RESOLVE_NO_MAGICLINKS) != 0 {
				// The program's own resolve flags would narrow ours; the
				// broker does not apply them, so it refuses them.
				return syscall.EACCES, true
			}
		} else {
			mode = c.mode
		}
		f, err := hostOpenFlags(a, raw)
		if err != nil {
			return callErr(err)
		}
		flags = f
		if flags&syscall.O_CREAT == 0 && flags&unix.O_TMPFILE != unix.O_TMPFILE {
			mode = 0 // openat2 refuses a mode it would not use
		}
		mode &^= st.umask
	case OpAccess:
		flags = syscall.O_RDONLY
		if c.mode&unix.W_OK != 0 {
			flags = syscall.O_RDWR
		}
	case OpStat, OpReadlink:
		flags = unix.O_PATH
	default:
		flags = syscall.O_RDWR | syscall.O_CREAT
	}
	// A descriptor's own stat (glibc's fstat), access check or link: no
	// path, no policy; the program holds the descriptor.
	if c.op == OpUtimes && c.path == 0 {
		if st.heldFD < 0 {
			return callErr(syscall.EBADF)
		}
		return b.change(fd, n, c, st, st.heldFD)
	}
	if st.name == "" && c.emptyPath() {
		if c.dirfd == atFDCWD {
			st.name = "."
		} else {
			if st.heldFD < 0 {
				return callErr(syscall.EBADF)
			}
			if c.op >= OpMkdir {
				return b.change(fd, n, c, st, st.heldFD)
			}
			return b.finish(fd, n, c, st, st.heldFD)
		}
	}
	if st.name == "" {
		return callErr(syscall.ENOENT)
	}
	abs := st.name
	if !strings.HasPrefix(abs, "/") {
		if st.baseErr != nil {
			return callErr(syscall.EBADF)
		}
		abs = strings.TrimSuffix(st.base, "/") + "/" + abs
	}
	abs = procSelf(abs, st)
	req.Path, req.Flags = abs, flags
	if c.op >= OpMkdir {
		return b.mutate(fd, n, c, st, req)
	}
	if c.op != OpOpen && (c.nofollow || c.atFlags&unix.AT_SYMLINK_NOFOLLOW != 0 || c.op == OpReadlink) {
		// lstat, and readlink, which reads the link itself.
		flags |= unix.O_NOFOLLOW
	}
	trees, refusal := b.decide(*req)
	if len(trees) == 0 {
		return refusal, true
	}
	openFlags := flags
	if c.op == OpAccess {
		openFlags = unix.O_PATH // the check is faccessat2's, on the file
	}
	ffd, err := resolveInFD(trees, st.root, abs, openFlags, mode)
	if errors.Is(err, errOpenDenied) {
		return refusal, true
	}
	if err != nil {
		return callErr(err)
	}
	defer syscall.Close(ffd)
	if !procAllowed(ffd, st) {
		return refusal, true
	}
	if c.op == OpOpen {
		_, err := unix.NotifAddFDSend(fd, n.ID, ffd, flags&syscall.O_CLOEXEC != 0)
		if err != nil && !errors.Is(err, syscall.ENOENT) {
			return callErr(err) // EMFILE: the caller's table is full
		}
		return 0, false
	}
	return b.finish(fd, n, c, st, ffd)
}

// finish does a stat, access check or readlink on ffd and answers.
func (b *Broker) finish(fd int, n unix.Notif, c callArgs, st *callerState, ffd int) (syscall.Errno, bool) {
	fail := func(err error) (syscall.Errno, bool) {
		var en syscall.Errno
		if !errors.As(err, &en) {
			en = syscall.EFAULT
		}
		unix.NotifError(fd, n.ID, en)
		return 0, false
	}
	var out []byte
	var ret int64
	switch c.op {
	case OpStat:
		var err error
		switch c.layout {
		case statNative:
			out, err = unix.StatBytes(ffd)
		case statStatx:
			if c.atFlags&^uint64(unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT|unix.AT_STATX_SYNC_TYPE) != 0 {
				return fail(syscall.EINVAL)
			}
			out, err = unix.StatxBytes(ffd, int(c.atFlags), c.mask)
		case statI386Stat64, statI386Stat:
			var k unix.Kstat
			if k, err = unix.StatKernel(ffd); err != nil {
				break
			}
			if c.layout == statI386Stat64 {
				out = i386Stat64Bytes(kstatOf(k))
			} else {
				uid, gid := overflowIDs()
				out, err = i386StatBytes(kstatOf(k), uid, gid)
			}
		default:
			return fail(syscall.ENOSYS)
		}
		if err != nil {
			return fail(err)
		}
	case OpAccess:
		if c.mode&^7 != 0 || c.atFlags&^uint64(unix.AT_EACCESS|unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
			return fail(syscall.EINVAL)
		}
		if err := unix.AccessFD(ffd, c.mode, int(c.atFlags)); err != nil {
			return fail(err)
		}
	case OpReadlink:
		if int64(c.size) <= 0 {
			return fail(syscall.EINVAL)
		}
		target, err := unix.ReadlinkFD(ffd)
		if err != nil {
			if errors.Is(err, syscall.ENOENT) {
				err = syscall.EINVAL // not a symbolic link
			}
			return fail(err)
		}
		out = []byte(target)
		if uint64(len(out)) > c.size {
			out = out[:c.size]
		}
		ret = int64(len(out))
	}
	if len(out) > 0 {
		if err := writeCaller(st, c.buf, out); err != nil {
			return fail(syscall.EFAULT)
		}
	}
	unix.NotifReturn(fd, n.ID, ret)
	return 0, false
}

// writeCaller writes b to the caller's memory at addr, where the caller
// could write itself: the range must lie in writable mappings (a write
// through /proc/PID/mem would go through a read-only or executable page,
// which the kernel's own copy to a call's buffer never does).
func writeCaller(st *callerState, addr uint64, b []byte) error {
	if st.mem == nil {
		return syscall.EFAULT
	}
	maps, err := st.openProc("maps")
	if err != nil {
		return err
	}
	defer maps.Close()
	end := addr + uint64(len(b))
	if end < addr {
		return syscall.EFAULT
	}
	at := addr
	sc := bufio.NewScanner(maps)
	for sc.Scan() && at < end {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		l, err1 := strconv.ParseUint(lo, 16, 64)
		h, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || h <= at {
			continue
		}
		if l > at || len(f[1]) < 2 || f[1][1] != 'w' {
			return syscall.EFAULT
		}
		at = h
	}
	if at < end {
		return syscall.EFAULT
	}
	_, err = st.mem.WriteAt(b, int64(addr))
	return err
}

// procSelf takes /proc/self and /proc/thread-self at the start of abs as
// the caller's (the broker's own /proc/self is the launcher's).
func procSelf(abs string, st *callerState) string {
	rest, ok := strings.CutPrefix(abs, "/proc/")
	if !ok || st.nsTgid == 0 {
		return abs
	}
	first, tail, _ := strings.Cut(rest, "/")
	var to string
	switch first {
	case "self":
		to = "/proc/" + strconv.Itoa(st.nsTgid)
	case "thread-self":
		to = "/proc/" + strconv.Itoa(st.nsTgid) + "/task/" + strconv.Itoa(st.nsTid)
	default:
		return abs
	}
	if tail != "" || strings.HasSuffix(rest, "/") {
		to += "/" + tail
	}
	return to
}

// procAllowed reports whether an opened file may be given to the caller
// when it is a file of a procfs: a file of a process only when it is the
// caller's own process and the launcher sees it in the /proc it
// resolved (same pid namespace); any other procfs file (/proc/cpuinfo,
// /proc/sys) when the policy allowed it. So no path, however it reaches
// /proc/self or /proc/PID of the launcher or another process, opens it.
func procAllowed(ffd int, st *callerState) bool {
	if !unix.IsProc(ffd) {
		return true
	}
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(ffd))
	if err != nil {
		return false
	}
	rest, ok := strings.CutPrefix(p, "/proc/")
	if !ok {
		return false // a procfs the launcher does not see as its /proc
	}
	first, _, _ := strings.Cut(rest, "/")
	pid, err := strconv.Atoi(first)
	if err != nil {
		return first != "self" && first != "thread-self"
	}
	self, _ := os.Readlink("/proc/self/ns/pid")
	its, err := readlinkat(st.proc, "ns/pid")
	if err != nil || self != its {
		return false // pids of another namespace: not the launcher's to read
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	owner, _ := parseStatus(b, &callerState{})
	return owner == st.tgid && pid > 0
}

// resolveIn opens abs for the caller beneath one of trees. root is a
// descriptor of the caller's root directory (/proc/PID/root).
//
// The name is matched against each tree by its text: a name under the
// tree's path is opened from a descriptor of the tree with
// RESOLVE_BENEATH and RESOLVE_NO_MAGICLINKS, so the kernel refuses
// (EXDEV) any ".." or symbolic link that would leave the tree, whatever
// the program renames meanwhile; the tree itself is opened with
// RESOLVE_IN_ROOT, so its own path resolves in the program's root. When
// the name leaves every tree, the error is errOpenDenied.
func resolveIn(trees []string, root int, abs string, flags int, mode uint32) (*os.File, error) {
	fd, err := resolveInFD(trees, root, abs, flags, mode)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), abs), nil
}

// resolveInFD is resolveIn returning the descriptor, close-on-exec, for
// the caller to close.
func resolveInFD(trees []string, root int, abs string, flags int, mode uint32) (int, error) {
	for _, t := range trees {
		tree := path.Clean(t)
		rel, ok := beneath(tree, abs)
		if !ok {
			continue
		}
		if rel == "." {
			// The tree itself (a file rule, or the directory).
			fd, err := unix.Openat2(root, tree, flags&^syscall.O_CLOEXEC, mode, unix.RESOLVE_IN_ROOT|unix.RESOLVE_NO_MAGICLINKS)
			if errors.Is(err, syscall.ELOOP) && flags&unix.O_NOFOLLOW == 0 {
				return -1, fmt.Errorf("open %s: %w", abs, errOpenDenied) // a magic link
			}
			if err != nil {
				return -1, err
			}
			return fd, nil
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
		if errors.Is(err, syscall.ELOOP) && flags&unix.O_NOFOLLOW == 0 {
			// RESOLVE_NO_MAGICLINKS: a /proc link the broker never follows.
			return -1, fmt.Errorf("open %s: %w", abs, errOpenDenied)
		}
		if err != nil {
			return -1, err
		}
		return fd, nil
	}
	return -1, fmt.Errorf("open %s: %w", abs, errOpenDenied)
}

// brokerOpen opens name for the program as open(2) with flags and mode
// would under rules, base being the directory a relative name is taken
// from: the resolution of OpenRules and resolveIn, without the
// notification around it.
func brokerOpen(rules []OpenRule, root int, base, name string, flags int, mode uint32) (*os.File, error) {
	if name == "" {
		return nil, syscall.ENOENT
	}
	if flags&syscall.O_CREAT == 0 && flags&unix.O_TMPFILE != unix.O_TMPFILE {
		mode = 0
	}
	abs := name
	if !strings.HasPrefix(name, "/") {
		abs = strings.TrimSuffix(base, "/") + "/" + name
	}
	d := OpenRules(rules).Decide(BrokerRequest{Op: OpOpen, Path: abs, Flags: flags})
	return resolveIn(d.Trees, root, abs, flags, mode)
}

// mutate does a call that changes the file system (OpMkdir and after)
// for req, or returns the refusal.
func (b *Broker) mutate(fd int, n unix.Notif, c callArgs, st *callerState, req *BrokerRequest) (syscall.Errno, bool) {
	callErr := func(err error) (syscall.Errno, bool) { return notifFailed(fd, n.ID, err) }
	trees, refusal := b.decide(*req)
	// unresolved answers an error of resolving name beneath the trees:
	// the refusal, naming it, where the name leaves them; else the error.
	unresolved := func(name string, err error) (syscall.Errno, bool) {
		if errors.Is(err, errOpenDenied) {
			req.Path = name
			return refusal, true
		}
		return callErr(err)
	}
	if len(trees) == 0 {
		return refusal, true
	}
	// The second name: rename's and link's new one, resolved as the
	// first; symlink's target is text the kernel resolves when the link
	// is followed, beneath a tree by then.
	var trees2 []string
	var abs2 string
	if c.op == OpRename || c.op == OpLink {
		if !st.name2OK {
			return syscall.EACCES, true
		}
		if st.name2 == "" {
			return callErr(syscall.ENOENT)
		}
		abs2 = st.name2
		if !strings.HasPrefix(abs2, "/") {
			if st.base2 == "" {
				return callErr(syscall.EBADF)
			}
			abs2 = strings.TrimSuffix(st.base2, "/") + "/" + abs2
		}
		abs2 = procSelf(abs2, st)
		r2 := *req
		r2.Path = abs2
		if trees2, refusal = b.decide(r2); len(trees2) == 0 {
			req.Path = abs2
			return refusal, true
		}
	}
	switch c.op {
	case OpMkdir, OpRemove, OpRename, OpSymlink:
		dir, base, err := resolveParent(trees, st, req.Path)
		if err != nil {
			return unresolved(req.Path, err)
		}
		defer dir.Close()
		switch c.op {
		case OpMkdir:
			err = unix.Mkdirat(int(dir.Fd()), base, c.mode&^st.umask&0o7777)
		case OpRemove:
			if c.atFlags&^uint64(unix.AT_REMOVEDIR) != 0 {
				return callErr(syscall.EINVAL)
			}
			err = unix.Unlinkat(int(dir.Fd()), base, int(c.atFlags))
		case OpSymlink:
			if !st.name2OK {
				return syscall.EACCES, true
			}
			if st.name2 == "" {
				return callErr(syscall.ENOENT)
			}
			err = unix.Symlinkat(st.name2, int(dir.Fd()), base)
		case OpRename:
			if c.atFlags&^uint64(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE|unix.RENAME_WHITEOUT) != 0 {
				return callErr(syscall.EINVAL)
			}
			dir2, base2, err2 := resolveParent(trees2, st, abs2)
			if err2 != nil {
				return unresolved(abs2, err2)
			}
			defer dir2.Close()
			err = unix.Renameat2(int(dir.Fd()), base, int(dir2.Fd()), base2, uint(c.atFlags))
		}
		if err != nil {
			return callErr(err)
		}
		unix.NotifReturn(fd, n.ID, 0)
		return 0, false
	case OpLink:
		// The file linked is the one the old name resolves to beneath
		// a tree (following a final symbolic link only with
		// AT_SYMLINK_FOLLOW), linked by its descriptor: no name the
		// kernel resolves again.
		if c.atFlags&^uint64(unix.AT_SYMLINK_FOLLOW) != 0 {
			// AT_EMPTY_PATH would link a descriptor the program holds,
			// from wherever it came.
			return syscall.EACCES, true
		}
		flags := unix.O_PATH
		if c.atFlags&unix.AT_SYMLINK_FOLLOW == 0 {
			flags |= unix.O_NOFOLLOW
		}
		old, err := resolveIn(trees, st.root, req.Path, flags, 0)
		if err != nil {
			return unresolved(req.Path, err)
		}
		defer old.Close()
		dir2, base2, err := resolveParent(trees2, st, abs2)
		if err != nil {
			return unresolved(abs2, err)
		}
		defer dir2.Close()
		if err := unix.LinkFD(int(old.Fd()), int(dir2.Fd()), base2); err != nil {
			return callErr(err)
		}
		unix.NotifReturn(fd, n.ID, 0)
		return 0, false
	}
	// chmod, truncate, utimensat: on the file, resolved beneath a tree.
	flags := unix.O_PATH
	switch {
	case c.op == OpTruncate:
		flags = syscall.O_WRONLY
	case c.atFlags&unix.AT_SYMLINK_NOFOLLOW != 0:
		flags |= unix.O_NOFOLLOW
	}
	f, err := resolveIn(trees, st.root, req.Path, flags, 0)
	if err != nil {
		return unresolved(req.Path, err)
	}
	defer f.Close()
	if !procAllowed(int(f.Fd()), st) {
		return refusal, true
	}
	return b.change(fd, n, c, st, int(f.Fd()))
}

// change does chmod, truncate or utimensat on ffd and answers.
func (b *Broker) change(fd int, n unix.Notif, c callArgs, st *callerState, ffd int) (syscall.Errno, bool) {
	var err error
	switch c.op {
	case OpChmod:
		if c.atFlags&^uint64(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
			err = syscall.EINVAL
		} else {
			err = unix.ChmodFD(ffd, c.mode&0o7777)
		}
	case OpTruncate:
		if c.length < 0 {
			err = syscall.EINVAL
		} else {
			err = unix.Ftruncate(ffd, c.length)
		}
	case OpUtimes:
		var ts []unix.Timespec
		switch {
		case c.layout != statNative:
			err = syscall.ENOSYS
		case c.atFlags&^uint64(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0:
			err = syscall.EINVAL
		case c.buf != 0 && st.times == nil:
			err = syscall.EFAULT
		case c.buf != 0:
			order := binary.NativeEndian
			ts = []unix.Timespec{
				{Sec: int64(order.Uint64(st.times[0:])), Nsec: int64(order.Uint64(st.times[8:]))},
				{Sec: int64(order.Uint64(st.times[16:])), Nsec: int64(order.Uint64(st.times[24:]))},
			}
		}
		if err == nil {
			err = unix.UtimesFD(ffd, ts)
		}
	default:
		err = syscall.ENOSYS
	}
	if err != nil {
		var en syscall.Errno
		if !errors.As(err, &en) {
			en = syscall.EACCES
		}
		unix.NotifError(fd, n.ID, en)
		return 0, false
	}
	unix.NotifReturn(fd, n.ID, 0)
	return 0, false
}

// resolveParent opens the directory that abs names an entry of, beneath
// one of trees, and returns it with the entry's name: one component,
// never "." or "..", so that the call made on it cannot leave the
// directory.
func resolveParent(trees []string, st *callerState, abs string) (*os.File, string, error) {
	trimmed := strings.TrimRight(abs, "/")
	i := strings.LastIndex(trimmed, "/")
	if i < 0 {
		return nil, "", syscall.EINVAL
	}
	dir, base := trimmed[:i], trimmed[i+1:]
	if base == "" || base == "." || base == ".." {
		return nil, "", syscall.EINVAL
	}
	if dir == "" {
		dir = "/"
	}
	f, err := resolveIn(trees, st.root, dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, "", err
	}
	if !procAllowed(int(f.Fd()), st) {
		f.Close()
		return nil, "", fmt.Errorf("%s: %w", dir, errOpenDenied)
	}
	return f, base, nil
}

// kstatOf is k as the stat layouts take it.
func kstatOf(k unix.Kstat) kstat {
	t := func(t unix.StatxTimestamp) statTime { return statTime{Sec: t.Sec, Nsec: t.Nsec} }
	return kstat{
		Dev: encodeDev(k.DevMajor, k.DevMinor), Rdev: encodeDev(k.RdevMajor, k.RdevMinor),
		Ino: k.Ino, Mode: k.Mode, Nlink: k.Nlink, UID: k.UID, GID: k.GID, Size: k.Size,
		Blksize: k.Blksize, Blocks: k.Blocks, Atime: t(k.Atime), Mtime: t(k.Mtime), Ctime: t(k.Ctime),
	}
}

// overflowIDs are the uid and gid the kernel writes for one that does
// not fit 16 bits (/proc/sys/kernel/overflowuid and overflowgid; 65534
// where unreadable, the kernel's default).
var overflowIDs = sync.OnceValues(func() (uint16, uint16) {
	read := func(name string) uint16 {
		b, err := os.ReadFile("/proc/sys/kernel/" + name)
		if err != nil {
			return 65534
		}
		n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 16)
		if err != nil {
			return 65534
		}
		return uint16(n)
	}
	return read("overflowuid"), read("overflowgid")
})
