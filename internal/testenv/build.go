package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildSyscage builds the syscage command with the go tool, with env
// added to the environment (GOARCH=arm64, GOFLAGS=-buildvcs=true), into
// a temporary directory of t, and returns its path. The test ends if it
// cannot.
func BuildSyscage(t testing.TB, env ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go not found: the test builds syscage with it")
	}
	out := filepath.Join(t.TempDir(), "syscage")
	cmd := exec.Command(goTool, "build", "-o", out, "github.com/syscage/syscage/cmd/syscage")
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build syscage: %v\n%s", err, b)
	}
	return out
}
