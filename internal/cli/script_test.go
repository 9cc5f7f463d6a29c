package cli

import (
	"fmt"
	"os"
	"path/filepath"
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

// raceScripts are the scripts that run under the race detector: those of
// the commands whose code in this package runs beside goroutines (watch
// reads while another goroutine closes its source at the deadline; run
// reports tree events from launch's goroutines and passes signals on;
// check passes signals to its workloads). The race detector makes a
// command about ten times slower and watches nothing in the others,
// whose goroutines are the library packages' and are exercised by their
// own tests under it. test.sh runs every script without it.
var raceScripts = []string{"run", "runsignals", "runtree", "watch", "checksignals"}

func TestScripts(t *testing.T) {
	// The scripts share one cache of library models (analyze's, by build
	// ID), as one user's commands do: libc is analysed once, not in every
	// script that records a program.
	cache := t.TempDir()
	dir, files := "testdata/script", []string(nil)
	if testenv.Race {
		dir = ""
		for _, name := range raceScripts {
			files = append(files, filepath.Join("testdata/script", name+".txtar"))
		}
	}
	testscript.Run(t, testscript.Params{Dir: dir, Files: files, Cmds: scriptCmds,
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
