package cli

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The CLI is tested end to end with script tests in testdata/script: each
// runs the real command tree in a fresh directory and checks its output
// and exit code.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"syscage": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
