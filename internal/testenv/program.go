package testenv

import (
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// Filters are never installed in a test process: the tests re-execute
// their test binary as a child that runs one of the programs the package
// registers with Program, and assert on what the child could and could not
// do. This file is the one way to do that.

// ProgramEnv, in a re-executed test binary's environment, names the
// program it runs instead of its tests (see Program).
const ProgramEnv = "SYSCAGE_TEST_PROGRAM"

var (
	programs = map[string]func(){}
	onPath   = map[string]bool{}
	byArg    = map[string]bool{}
)

// Program registers f as program name of the test binary, from an init
// function. A re-executed test binary runs f instead of its tests, with
// os.Args[1:] as the program's arguments and no test flag parsed, when
// ProgramEnv is name (see Command and Env), or when it is executed under
// the name (see ProgramOnPath; os.Args[0] is then name). It exits with
// status 0 when f returns; f may exit itself.
func Program(name string, f func()) {
	if _, dup := programs[name]; dup {
		panic(fmt.Sprintf("testenv: program %q registered twice", name))
	}
	programs[name] = f
}

// ProgramByArg registers f as Program does, to run also when the test
// binary's first argument is name, as a program that embeds a command
// starts it (the recorder's helper: /proc/self/exe ARGV0 __record-exec
// ...). The name is taken out of os.Args, and this way comes before the
// others: the environment such a command runs in may name another
// program, which it starts in turn.
func ProgramByArg(name string, f func()) {
	Program(name, f)
	byArg[name] = true
}

// ProgramOnPath registers f as Program does, and has Main put a copy of
// the test binary under the name in a directory at the front of PATH, so
// that a test or script can execute it by name, even through a program
// that clears the environment (syscage run).
func ProgramOnPath(name string, f func()) {
	Program(name, f)
	onPath[name] = true
}

// Main is the TestMain of a package whose tests re-execute the test
// binary: it runs the program the child is asked for (see Program), or
// the tests.
func Main(m *testing.M) {
	if f := chosen(); f != nil {
		f()
		os.Exit(0)
	}
	os.Exit(runTests(m))
}

// chosen returns the program the test binary was started as, adjusting
// os.Args, or nil.
func chosen() func() {
	if len(os.Args) > 1 && byArg[os.Args[1]] {
		if f, ok := programs[os.Args[1]]; ok {
			os.Args = append(os.Args[:1:1], os.Args[2:]...)
			return f
		}
	}
	if name := os.Getenv(ProgramEnv); name != "" {
		if f, ok := programs[name]; ok {
			return f
		}
		fmt.Fprintf(os.Stderr, "testenv: %s=%s: no such program in this test binary\n", ProgramEnv, name)
		os.Exit(100)
	}
	name := filepath.Base(os.Args[0])
	if f, ok := programs[name]; ok && onPath[name] {
		os.Args[0] = name
		return f
	}
	return nil
}

// runTests runs the tests with the programs registered by ProgramOnPath
// on PATH.
func runTests(m *testing.M) int {
	if len(onPath) == 0 {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "syscage-test-programs")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	names := slices.Sorted(maps.Keys(onPath))
	for _, name := range names {
		if err := linkOrCopy(self, filepath.Join(dir, name)); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: put program %s on PATH: %v\n", name, err)
			return 1
		}
	}
	os.Setenv("PATH", dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
	return m.Run()
}

// linkOrCopy makes to a hard link of from, or a copy where it cannot.
func linkOrCopy(from, to string) error {
	if os.Link(from, to) == nil {
		return nil
	}
	r, err := os.Open(from)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// Command returns a command that runs the test binary as program name
// with args, in the test's environment.
func Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), Env(name))
	return cmd
}

// Env returns the environment entry that makes the test binary run as
// program name, for commands made otherwise (launch.Command, a command
// with an environment of its own).
func Env(name string) string { return ProgramEnv + "=" + name }

// Start starts cmd with pipes to its standard input and output, ending the
// test if it cannot.
func Start(t testing.TB, cmd *exec.Cmd) (stdin io.WriteCloser, stdout io.ReadCloser) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err == nil {
		stdout, err = cmd.StdoutPipe()
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	return stdin, stdout
}
