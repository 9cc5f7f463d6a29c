package record

import (
	"os"
	"testing"
)

// The tests re-execute the test binary: as the recording helper (argument
// HelperCommand), and as workload programs (SYSCAGE_RECORD_WORKLOAD) that
// the tests record or run under filters. No filter is ever installed in
// the test process itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == HelperCommand {
		os.Exit(HelperExitCode(ExecHelper(os.Args[2:])))
	}
	if w := os.Getenv("SYSCAGE_RECORD_WORKLOAD"); w != "" {
		os.Exit(runWorkload(w, os.Args[1:]))
	}
	os.Exit(m.Run())
}
