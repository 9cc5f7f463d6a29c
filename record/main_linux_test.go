package record

import (
	"os"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
)

// The tests re-execute the test binary: as the recording helper (argument
// HelperCommand), and as workload programs (see workloads) that the tests
// record or run under filters. No filter is ever installed in the test
// process itself.
func init() {
	testenv.ProgramByArg(HelperCommand, func() { os.Exit(HelperExitCode(ExecHelper(os.Args[1:]))) })
	for name, w := range workloads {
		testenv.Program(name, func() { os.Exit(w(os.Args[1:])) })
	}
}

func TestMain(m *testing.M) { testenv.Main(m) }
