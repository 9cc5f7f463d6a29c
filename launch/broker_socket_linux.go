package launch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// socketCalls are the socket calls a Broker answers; socketcall is
// i386's multiplexer.
var socketCalls = []string{"connect", "bind", "socketcall"}

// socketcall's numbers of connect and bind (SYS_BIND, SYS_CONNECT).
const (
	socketcallBind    = 2
	socketcallConnect = 3
)

// serveSocket answers a notified connect, bind or socketcall. It returns
// the refusal to report, if any.
func (b *Broker) serveSocket(fd int, n unix.Notif, a arch.Arch, name, policy string) *TreeEvent {
	tid := int(n.PID)
	refuse := func(errno syscall.Errno, what string, comm string, tgid int) *TreeEvent {
		if unix.NotifError(fd, n.ID, errno) != nil {
			return nil
		}
		if tgid == 0 {
			tgid = tid
		}
		v := Violation{Record: Record{Arch: a, Nr: uint32(n.Nr), Ret: seccomp.SECCOMP_RET_ERRNO | uint32(errno), Args: n.Args, HasArgs: true},
			Name: name, Action: profile.Action{Kind: profile.ActErrno, Data: uint16(errno)}, Source: "notification"}
		return &TreeEvent{PID: tgid, Comm: comm, Violation: v, Policy: policy, Path: what}
	}
	if name == "socketcall" {
		// The sub-call is a number: a decision on a scalar, which the
		// kernel does not read again.
		switch uint32(n.Args[0]) {
		case socketcallBind, socketcallConnect:
			comm, tgid := taskInfo(tid)
			return refuse(syscall.EACCES, "(socketcall)", comm, tgid)
		}
		unix.NotifContinue(fd, n.ID)
		return nil
	}
	sockfd, addrPtr, addrLen := int(int32(n.Args[0])), n.Args[1], n.Args[2]
	if a.Bits() == 32 {
		addrPtr, addrLen = uint64(uint32(addrPtr)), uint64(uint32(addrLen))
	}
	if addrLen > 128 || addrLen < 2 {
		unix.NotifError(fd, n.ID, syscall.EINVAL)
		return nil
	}
	// Copied once, with the socket itself and what a path needs.
	st := readCaller(tid, callArgs{dirfd: atFDCWD})
	defer st.close()
	var addr []byte
	if st.mem != nil {
		buf := make([]byte, addrLen)
		if got, err := st.mem.ReadAt(buf, int64(addrPtr)); err == nil && got == len(buf) {
			addr = buf
		}
	}
	sock := -1
	if st.tgid != 0 {
		if s, err := unix.TakeFD(st.tgid, sockfd); err == nil {
			sock = s
		}
	}
	if !unix.NotifIDValid(fd, n.ID) {
		if sock >= 0 {
			syscall.Close(sock)
		}
		return nil
	}
	answer := func(err error) { answerOn(fd, n.ID, err) }
	if addr == nil {
		if sock >= 0 {
			syscall.Close(sock)
		}
		answer(syscall.EFAULT)
		return nil
	}
	if sock < 0 {
		answer(syscall.EBADF)
		return nil
	}
	family := binary.NativeEndian.Uint16(addr[0:2])
	connect := name == "connect"
	if family == unix.AF_UNIX && len(addr) > 2 && addr[2] != 0 {
		// A socket file: resolved beneath a tree, as a file is.
		p := string(addr[2:])
		if i := strings.IndexByte(p, 0); i >= 0 {
			p = p[:i]
		}
		abs := p
		if !strings.HasPrefix(abs, "/") {
			if st.baseErr != nil {
				syscall.Close(sock)
				answer(syscall.EBADF)
				return nil
			}
			abs = strings.TrimSuffix(st.base, "/") + "/" + abs
		}
		abs = procSelf(abs, st)
		op := OpBind
		if connect {
			op = OpConnect
		}
		d := b.Policy.Decide(BrokerRequest{PID: st.tgid, Call: name, Op: op, Path: abs, Flags: syscall.O_RDWR})
		if d.Errno == 0 {
			d.Errno = syscall.EACCES
		}
		var via *os.File
		var sun string
		var err error
		if connect {
			via, err = resolveIn(d.Trees, st.root, abs, unix.O_PATH, 0)
			if err == nil {
				sun = "/proc/self/fd/" + strconv.Itoa(int(via.Fd()))
			}
		} else {
			var base string
			via, base, err = resolveParent(d.Trees, st, abs)
			if err == nil {
				sun = "/proc/self/fd/" + strconv.Itoa(int(via.Fd())) + "/" + base
			}
		}
		if len(d.Trees) == 0 || errors.Is(err, errOpenDenied) || (err == nil && !procAllowed(int(via.Fd()), st)) {
			if via != nil {
				via.Close()
			}
			syscall.Close(sock)
			return refuse(d.Errno, abs, st.comm, st.tgid)
		}
		if err != nil {
			syscall.Close(sock)
			answer(err)
			return nil
		}
		if len(sun) >= 108 {
			via.Close()
			syscall.Close(sock)
			answer(syscall.ENAMETOOLONG)
			return nil
		}
		sa := make([]byte, 2+len(sun)+1)
		binary.NativeEndian.PutUint16(sa, unix.AF_UNIX)
		copy(sa[2:], sun)
		if connect {
			answer = laterAnswer(fd, n.ID)
		}
		b.sockOp(sock, sa, connect, answer, via)
		return nil
	}
	if cp, ok := b.Policy.(ConnectPolicy); ok && connect {
		if what, known := addrString(family, addr); known {
			if errno := cp.DecideConnect(st.tgid, int(family), what); errno != 0 {
				syscall.Close(sock)
				return refuse(errno, what, st.comm, st.tgid)
			}
		}
	}
	if connect {
		answer = laterAnswer(fd, n.ID)
	}
	b.sockOp(sock, addr, connect, answer, nil)
	return nil
}

// laterAnswer returns an answer for a connect made on a goroutine: on a
// duplicate of the listener, which the supervisor may close before the
// connect ends (until then the tree's notified calls wait, rather than
// get ENOSYS: none goes on without an answer).
func laterAnswer(fd int, id uint64) func(error) {
	dup, err := unix.DupCloexec(fd)
	if err != nil {
		return func(error) {} // the call waits until the listener closes: ENOSYS
	}
	return func(err error) {
		answerOn(dup, id, err)
		syscall.Close(dup)
	}
}

// sockOp makes the connect or bind on sock, a copy of the program's
// socket, and answers. A connect may wait (a blocking socket): it runs
// on a goroutine of its own, so the supervisor goes on answering.
func (b *Broker) sockOp(sock int, sa []byte, connect bool, answer func(error), keep *os.File) {
	do := func() {
		var err error
		if connect {
			err = unix.ConnectRaw(sock, sa)
		} else {
			err = unix.BindRaw(sock, sa)
		}
		syscall.Close(sock)
		if keep != nil {
			keep.Close()
		}
		answer(err)
	}
	if !connect {
		do()
		return
	}
	go do()
}

// answerOn answers notification id on listener fd: 0, or err's errno.
func answerOn(fd int, id uint64, err error) {
	if err == nil {
		unix.NotifReturn(fd, id, 0)
		return
	}
	var en syscall.Errno
	if !errors.As(err, &en) {
		en = syscall.EACCES
	}
	unix.NotifError(fd, id, en)
}

// addrString is a connect's address as a ConnectPolicy sees it.
func addrString(family uint16, sa []byte) (string, bool) {
	switch {
	case family == unix.AF_INET && len(sa) >= 8:
		ip := netip.AddrFrom4([4]byte(sa[4:8]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(sa[2:4])).String(), true
	case family == unix.AF_INET6 && len(sa) >= 24:
		ip := netip.AddrFrom16([16]byte(sa[8:24]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(sa[2:4])).String(), true
	case family == unix.AF_UNIX && len(sa) > 2:
		return "@" + string(sa[3:]), true
	}
	return fmt.Sprintf("family %d", family), false
}
