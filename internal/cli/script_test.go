package cli

import (
	"fmt"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/syscage/syscage/internal/testenv"
)

// scriptCmds are extra script commands and scriptConds extra
// [conditions]; test files add theirs in init functions, with the
// programs the scripts can exec (testenv.ProgramOnPath).
var (
	scriptCmds  = map[string]func(ts *testscript.TestScript, neg bool, args []string){}
	scriptConds = map[string]func() bool{}
)

// The CLI is tested end to end with script tests in testdata/script: each
// runs the real command tree, the program syscage on PATH, in a fresh
// directory and checks its output and exit code.
func init() {
	testenv.ProgramOnPath("syscage", func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) })
}

func TestMain(m *testing.M) { testenv.Main(m) }

func TestScripts(t *testing.T) {
	// The scripts share one cache of library models (analyze's, by build
	// ID), as one user's commands do: libc is analysed once, not in every
	// script that records a program.
	cache := t.TempDir()
	testscript.Run(t, testscript.Params{Dir: "testdata/script", Cmds: scriptCmds,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CACHE_HOME", cache)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if f, ok := scriptConds[cond]; ok {
				return f(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		}})
}
