package testenv_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
)

// stub is a shell script standing in for each program scripts/test.sh
// runs: it notes its command line in $STUB_LOG, and fails when the line
// matches $STUB_FAIL (a case pattern).
const stub = `#!/bin/sh
echo "$(basename "$0") $*" >>"$STUB_LOG"
case "$(basename "$0") $*" in
$STUB_FAIL) exit 1 ;;
"go env GOPATH") echo "$STUB_GOPATH" ;;
"go list -m") echo github.com/syscage/syscage ;;
"go list ./...") printf '%s\n' github.com/syscage/syscage/bpf github.com/syscage/syscage/launch ;;
"go list -tags libseccomp -test -f"*)
	echo github.com/syscage/syscage/bpf.test github.com/syscage/syscage/bpf
	echo github.com/syscage/syscage/launch.test github.com/syscage/syscage/launch ;;
"gofmt -l"*) [ -n "$STUB_GOFMT" ] && echo "$STUB_GOFMT" ;;
esac
exit 0
`

// runScript runs scripts/test.sh with stubs for go, gofmt, staticcheck,
// git, apt-get and the tools the script checks for, and returns its
// output, exit status and the stubs' log.
func runScript(t *testing.T, fail, gofmtOut string) (out string, code int, log string) {
	t.Helper()
	testenv.Root(t, "scripts/test.sh installs what is missing with apt-get, which")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go", "gofmt", "staticcheck", "git", "apt-get",
		"scmp_sys_resolver", "gcc", "strace", "runc", "systemd-analyze", "python3"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script, err := filepath.Abs("../../scripts/test.sh")
	if err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(dir, "log")
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/sbin:/usr/bin:/sbin:/bin",
		"STUB_LOG="+logf, "STUB_FAIL="+fail, "STUB_GOFMT="+gofmtOut, "STUB_GOPATH="+dir)
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	l, _ := os.ReadFile(logf)
	return string(b), cmd.ProcessState.ExitCode(), string(l)
}

// failedSteps returns what the script's last line lists as failed.
func failedSteps(t *testing.T, out string) string {
	t.Helper()
	i := strings.LastIndex(out, "test.sh: failed:")
	if i < 0 {
		t.Fatalf("no list of failed steps:\n%s", out)
	}
	return out[i:]
}

// scripts/test.sh runs every step even when earlier ones fail, lists the
// failed steps at the end and exits 1.
func TestScriptRunsEveryStep(t *testing.T) {
	out, code, log := runScript(t, "go vet*", "bad.go")
	if code != 1 {
		t.Errorf("exit status %d with go vet and gofmt failing, want 1\n%s", code, out)
	}
	summary := failedSteps(t, out)
	for _, step := range []string{"gofmt", "go vet"} {
		if !strings.Contains(summary, step) {
			t.Errorf("the summary does not list %s as failed:\n%s", step, out)
		}
	}
	for _, step := range []string{"staticcheck", "go test", "differential"} {
		if strings.Contains(summary, step) {
			t.Errorf("the summary lists %s as failed:\n%s", step, out)
		}
	}
	// The steps after the failed ones ran: the tests of launch (it runs
	// goroutines) with the race detector, those of bpf without.
	for _, cmd := range []string{"staticcheck -tags libseccomp ./...", "staticcheck ./...",
		`(?m)^go test -race -tags libseccomp -timeout 30m -skip \S*TestLibseccompRandom\S* github.com/syscage/syscage/launch$`,
		`(?m)^go test -tags libseccomp -timeout 30m -skip \S*TestLibseccompRandom\S* github.com/syscage/syscage/bpf$`,
		"-libseccomp.n=300", "-libseccomp.n=10000"} {
		if !strings.Contains(log, cmd) && !regexp.MustCompile(cmd).MatchString(log) {
			t.Errorf("%q never ran after go vet failed; ran:\n%s", cmd, log)
		}
	}
}

func TestScriptPasses(t *testing.T) {
	out, code, _ := runScript(t, "no-such-command*", "")
	if code != 0 || !strings.HasSuffix(out, "test.sh: all passed\n") {
		t.Errorf("exit status %d with every step passing, want 0 and \"all passed\":\n%s", code, out)
	}
}

// A failing go test fails the script, which says so.
func TestScriptTestFails(t *testing.T) {
	out, code, _ := runScript(t, "go test -race -tags libseccomp -timeout 30m -skip*", "")
	if code != 1 || !strings.Contains(failedSteps(t, out), "go test") {
		t.Errorf("exit status %d with go test failing, want 1 and go test listed as failed:\n%s", code, out)
	}
}
