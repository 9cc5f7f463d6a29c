package audit

import (
	"sync/atomic"

	"github.com/syscage/syscage/internal/errs"
)

// Kmsg is the kernel log device.
const Kmsg = "/dev/kmsg"

// ErrNotSupported reports that reading the kernel log is not possible on
// this system. It is seccomp.ErrNotSupported.
var ErrNotSupported = errs.ErrNotSupported

// Source is where a Follower reads records.
type Source int

const (
	// SourceKmsg is the kernel log (/dev/kmsg): it has the records of the
	// recent past too, but the kernel rate-limits it (printk_ratelimit,
	// about ten records a burst) and leaves it out when an audit daemon
	// runs.
	SourceKmsg Source = iota
	// SourceNetlink is the audit netlink socket's multicast group
	// (AUDIT_NLGRP_READLOG, needs CAP_AUDIT_READ), where the kernel sends
	// every record, rate limit or audit daemon or not, as it logs it.
	SourceNetlink
	// SourceAuto is SourceNetlink when this process may join the group,
	// else SourceKmsg.
	SourceAuto
)

func (s Source) String() string {
	switch s {
	case SourceKmsg:
		return "kmsg"
	case SourceNetlink:
		return "netlink"
	}
	return "auto"
}

// FollowOptions control Follow.
type FollowOptions struct {
	// Source is where to read; the zero value is SourceKmsg.
	Source Source
	// Path is the kernel log device; "" means Kmsg.
	Path string
	// FromStart returns the records already in the kernel's log buffer
	// before the new ones (with SourceNetlink too: those are read from
	// the kernel log). By default only records logged after Follow are
	// returned.
	FromStart bool
}

// Follower reads seccomp records as the kernel logs them.
type Follower struct {
	f              kmsgFile
	source         Source
	buf            []byte
	pending        []Event         // FromStart with netlink: the kernel log's records
	pendingSkipped []error         // and the lines skipped there
	seen           map[uint64]bool // their serials, not to return them twice
	lost           atomic.Int64
}

// Source returns where the Follower reads: SourceKmsg or SourceNetlink.
func (f *Follower) Source() Source { return f.source }

// Lost returns how many kernel log records were overwritten in the
// kernel's ring buffer before the Follower could read them.
func (f *Follower) Lost() int64 { return f.lost.Load() }
