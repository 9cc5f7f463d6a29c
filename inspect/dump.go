package inspect

import (
	"errors"

	"github.com/syscage/syscage/bpf"
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
	// ErrNotSupported reports a system where filters cannot be read.
	ErrNotSupported = errors.New("not supported on this system")
)

// StackOf returns the programs of fs, oldest first.
func StackOf(fs []Filter) Stack {
	s := make(Stack, len(fs))
	for i, f := range fs {
		s[i] = f.Program
	}
	return s
}
