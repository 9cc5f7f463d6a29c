package cli

import (
	"fmt"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// testPrograms are extra programs the scripts can exec, scriptCmds extra
// script commands and scriptConds extra [conditions]; test files add
// theirs in init functions.
var (
	testPrograms = map[string]func(){}
	scriptCmds   = map[string]func(ts *testscript.TestScript, neg bool, args []string){}
	scriptConds  = map[string]func() bool{}
)

// The CLI is tested end to end with script tests in testdata/script: each
// runs the real command tree in a fresh directory and checks its output
// and exit code.
func TestMain(m *testing.M) {
	progs := map[string]func(){
		"syscage": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	}
	for name, f := range testPrograms {
		progs[name] = f
	}
	testscript.Main(m, progs)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script", Cmds: scriptCmds,
		Condition: func(cond string) (bool, error) {
			if f, ok := scriptConds[cond]; ok {
				return f(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		}})
}
