package testenv_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
)

// The test binary runs as three programs: args and sub print their
// arguments and ProgramEnv, named prints its name and arguments.
func init() {
	testenv.Program("args", func() {
		fmt.Printf("args %q env %q\n", os.Args[1:], os.Getenv(testenv.ProgramEnv))
	})
	testenv.ProgramByArg("sub", func() {
		fmt.Printf("sub %q env %q\n", os.Args[1:], os.Getenv(testenv.ProgramEnv))
	})
	testenv.ProgramOnPath("named", func() {
		fmt.Printf("%s %q\n", os.Args[0], os.Args[1:])
		os.Exit(3)
	})
}

func TestMain(m *testing.M) { testenv.Main(m) }

// TestProgram starts the test binary as a program in each of the ways
// Program names.
func TestProgram(t *testing.T) {
	named, err := exec.LookPath("named")
	if err != nil {
		t.Fatalf("the program named is not on PATH: %v", err)
	}
	withEnv := exec.Command(os.Args[0], "one", "two")
	withEnv.Env = append(os.Environ(), testenv.Env("args"))
	subWithEnv := exec.Command(os.Args[0], "sub", "z")
	subWithEnv.Env = append(os.Environ(), testenv.Env("args"))
	wrong := exec.Command(os.Args[0])
	wrong.Env = append(os.Environ(), testenv.Env("no-such-program"))
	for _, tc := range []struct {
		name string
		cmd  *exec.Cmd
		out  string
		code int
	}{
		{"Command", testenv.Command("args", "-test.run=x", "b"), `args ["-test.run=x" "b"] env "args"` + "\n", 0},
		{"Env", withEnv, `args ["one" "two"] env "args"` + "\n", 0},
		{"first argument", exec.Command(os.Args[0], "sub", "x"), `sub ["x"] env ""` + "\n", 0},
		{"first argument before the environment", subWithEnv, `sub ["z"] env "args"` + "\n", 0},
		{"first argument, a program not run so", testenv.Command("args", "args", "w"), `args ["args" "w"] env "args"` + "\n", 0},
		{"on PATH", exec.Command("named", "y"), `named ["y"]` + "\n", 3},
		{"on PATH, by its path", exec.Command(named), `named []` + "\n", 3},
		{"an unknown program", wrong, "", 100},
	} {
		var stderr strings.Builder
		tc.cmd.Stderr = &stderr
		out, err := tc.cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(out) != tc.out || code != tc.code {
			t.Errorf("%s: output %q, exit status %d; want %q, %d (stderr %q)", tc.name, out, code, tc.out, tc.code, stderr.String())
		}
	}
}
