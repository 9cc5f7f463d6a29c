package ebpf

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/record"
)

// noiseEnv asks the helper for a thread that makes calls while it
// executes the target.
const noiseEnv = "SYSCAGE_EBPF_HELPER_NOISE"

// The tests re-execute the test binary as the recording helper (argument
// record.HelperCommand) and as workload programs (workloadEnv).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == record.HelperCommand {
		if os.Getenv(noiseEnv) != "" {
			// Another thread of the helper keeps making a call while
			// the helper executes the target: it is not the target's.
			go func() {
				runtime.LockOSThread()
				for {
					syscall.Syscall(syscall.SYS_GETPRIORITY, 0, 0, 0)
				}
			}()
			time.Sleep(5 * time.Millisecond)
		}
		err := record.ExecHelper(os.Args[2:])
		fmt.Fprintln(os.Stderr, "record helper:", err)
		os.Exit(125)
	}
	if w := os.Getenv(workloadEnv); w != "" {
		os.Exit(runWorkload(w, os.Args[1:]))
	}
	os.Exit(m.Run())
}
