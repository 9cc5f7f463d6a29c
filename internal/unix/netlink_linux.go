package unix

import (
	"os"

	"golang.org/x/sys/unix"
)

// auditNlgrpReadlog is AUDIT_NLGRP_READLOG, the audit netlink multicast
// group that receives a copy of every audit record (Linux 3.16).
const auditNlgrpReadlog = 1

// auditRcvbuf is the receive buffer OpenAuditNetlink asks for.
const auditRcvbuf = 32 << 20

// OpenAuditNetlink opens a non-blocking NETLINK_AUDIT socket joined to the
// read-only multicast group of audit records, with a receive buffer of
// 32 MiB where the caller may set one beyond net.core.rmem_max
// (SO_RCVBUFFORCE, CAP_NET_ADMIN), else as large as rmem_max allows:
// records come in bursts (a program that makes a logged call in a loop
// writes thousands a second, each taking about a kilobyte of buffer), and
// what does not fit is lost (ENOBUFS). Joining needs CAP_AUDIT_READ.
func OpenAuditNetlink() (*os.File, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, auditRcvbuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, auditRcvbuf)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (auditNlgrpReadlog - 1)}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	return os.NewFile(uintptr(fd), "audit netlink"), nil
}
