package ebpf

import (
	"fmt"
	"os"
	"testing"

	"github.com/syscage/syscage/record"
)

// The tests re-execute the test binary as the recording helper (argument
// record.HelperCommand) and as workload programs (workloadEnv).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == record.HelperCommand {
		err := record.ExecHelper(os.Args[2:])
		fmt.Fprintln(os.Stderr, "record helper:", err)
		os.Exit(125)
	}
	if w := os.Getenv(workloadEnv); w != "" {
		os.Exit(runWorkload(w, os.Args[1:]))
	}
	os.Exit(m.Run())
}
