package inspect

import (
	"errors"
	"time"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/errs"
)

// Filter is one seccomp filter of a running task.
type Filter struct {
	Index   int // 0 is the oldest
	Program bpf.Program
	Log     bool // installed with SECCOMP_FILTER_FLAG_LOG
}

// Errors of Dump.
var (
	// ErrNoFilter reports a process that runs without a seccomp filter.
	ErrNoFilter = errors.New("no seccomp filter")
	// ErrNotSupported reports a system where filters cannot be read. It
	// is seccomp.ErrNotSupported.
	ErrNotSupported = errs.ErrNotSupported
	// ErrNotStopped reports a thread that did not stop within
	// DumpOptions.Timeout to have its filters read: one in
	// uninterruptible sleep (a vfork parent waiting for its child, a
	// task frozen by the cgroup v1 freezer, a wait on a device or a file
	// system) stops only when the wait ends.
	ErrNotStopped = errors.New("did not stop")
	// ErrExited reports a process or thread that has ended (a zombie):
	// its filters can no longer be read, nor do they decide anything.
	ErrExited = errors.New("has exited")
)

// DumpOptions control Dump and DumpTasks.
type DumpOptions struct {
	// Timeout bounds the wait for the threads to stop, all of them
	// together; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is the wait for a thread to stop when
// DumpOptions.Timeout is 0.
const DefaultTimeout = 3 * time.Second

// Task is the filters of one thread.
type Task struct {
	TID     int
	Filters []Filter
	// Err is why the thread's filters could not be read (wrapping
	// ErrNotStopped for a thread that did not stop in time), naming the
	// thread's state; nil when they were read.
	Err error
}

// StackOf returns the programs of fs, oldest first.
func StackOf(fs []Filter) Stack {
	s := make(Stack, len(fs))
	for i, f := range fs {
		s[i] = f.Program
	}
	return s
}
