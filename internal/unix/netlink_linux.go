package unix

import (
	"os"

	"golang.org/x/sys/unix"
)

// auditNlgrpReadlog is AUDIT_NLGRP_READLOG, the audit netlink multicast
// group that receives a copy of every audit record (Linux 3.16).
const auditNlgrpReadlog = 1

// OpenAuditNetlink opens a non-blocking NETLINK_AUDIT socket joined to the
// read-only multicast group of audit records, with a 1 MiB receive buffer
// (records come in bursts; a larger buffer loses fewer, ENOBUFS). Joining
// needs CAP_AUDIT_READ.
func OpenAuditNetlink() (*os.File, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (auditNlgrpReadlog - 1)}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	return os.NewFile(uintptr(fd), "audit netlink"), nil
}
