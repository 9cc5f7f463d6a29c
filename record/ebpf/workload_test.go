package ebpf

import (
	"syscall"
)

// workloads are the programs a re-executed test binary runs (see
// TestMain), by name; each returns its exit status.
var workloads = map[string]func() int{
	"x32": func() int {
		// getpid through the x32 table: recorded as x32 even on a
		// kernel without x32 support, which answers ENOSYS.
		syscall.RawSyscall(0x40000000|syscall.SYS_GETPID, 0, 0, 0)
		return 0
	},
	"beyond": func() int {
		syscall.RawSyscall(5000, 0, 0, 0)
		return 0
	},
}
