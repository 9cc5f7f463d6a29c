package ebpf

import (
	"errors"

	"github.com/syscage/syscage/internal/errs"
)

// Reasons the engine cannot run; Available and Run wrap one of them with
// the detail.
var (
	// ErrNotSupported: the platform or kernel lacks something the engine
	// needs (BTF, a field, a program type). It is seccomp.ErrNotSupported
	// (and record's, audit's, inspect's), so one errors.Is matches them all.
	ErrNotSupported = errs.ErrNotSupported
	// ErrPermission: the process may not load tracing programs.
	ErrPermission = errors.New("no permission to load eBPF programs")
	// ErrLockdown: the kernel is locked down against reading its memory.
	ErrLockdown = errors.New("kernel lockdown forbids eBPF tracing")
)
