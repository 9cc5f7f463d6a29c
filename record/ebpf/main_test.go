package ebpf

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

// noiseEnv asks the helper for a thread that makes calls while it
// executes the target.
const noiseEnv = "SYSCAGE_EBPF_HELPER_NOISE"

// The tests re-execute the test binary as the recording helper (argument
// record.HelperCommand) and as workload programs (see workloads).
func init() {
	testenv.ProgramByArg(record.HelperCommand, recordHelper)
	for name, w := range workloads {
		testenv.Program(name, func() { os.Exit(w()) })
	}
}

func TestMain(m *testing.M) { testenv.Main(m) }

// recordHelper is the recording helper, with a noisy thread when noiseEnv
// is set.
func recordHelper() {
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
	os.Exit(record.HelperExitCode(record.ExecHelper(os.Args[1:])))
}
