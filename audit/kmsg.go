package audit

import (
	"errors"
	"sync/atomic"
)

// Kmsg is the kernel log device.
const Kmsg = "/dev/kmsg"

// ErrNotSupported reports that reading the kernel log is not possible on
// this system.
var ErrNotSupported = errors.New("not supported on this system")

// FollowOptions control Follow.
type FollowOptions struct {
	// Path is the kernel log device; "" means Kmsg.
	Path string
	// FromStart returns the records already in the kernel's buffer before
	// the new ones. By default only records logged after Follow are
	// returned.
	FromStart bool
}

// Follower reads seccomp records from the kernel log as they are logged.
type Follower struct {
	f    kmsgFile
	buf  []byte
	lost atomic.Int64
}

// Lost returns how many kernel log records were overwritten in the
// kernel's ring buffer before the Follower could read them.
func (f *Follower) Lost() int64 { return f.lost.Load() }
