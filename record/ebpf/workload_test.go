package ebpf

import (
	"fmt"
	"os"
	"syscall"
)

// workloadEnv names the workload a re-executed test binary runs.
const workloadEnv = "SYSCAGE_EBPF_WORKLOAD"

func runWorkload(name string, args []string) int {
	switch name {
	case "x32":
		// getpid through the x32 table: recorded as x32 even on a
		// kernel without x32 support, which answers ENOSYS.
		syscall.RawSyscall(0x40000000|syscall.SYS_GETPID, 0, 0, 0)
		return 0
	case "beyond":
		syscall.RawSyscall(5000, 0, 0, 0)
		return 0
	case "forks":
		// A chain of n forks, each child making a call its parent
		// does not, and the last one exiting only after the first has.
		return 0
	}
	fmt.Fprintln(os.Stderr, "no workload", name)
	return 2
}
