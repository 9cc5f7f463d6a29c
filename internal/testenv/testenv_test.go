package testenv_test

import (
	"os/exec"
	"runtime"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
)

func TestTool(t *testing.T) {
	want, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.Tool(t, "sh", "dash"); got != want {
		t.Errorf("Tool(sh) = %q, want %q", got, want)
	}
	if got := testenv.Tool(t, "/bin/sh", "dash"); got != "/bin/sh" {
		t.Errorf("Tool(/bin/sh) = %q", got)
	}
}

// A missing tool skips without SYSCAGE_REQUIRE_TOOLS and fails with it.
func TestMissing(t *testing.T) {
	for _, required := range []string{"", "1"} {
		t.Setenv("SYSCAGE_REQUIRE_TOOLS", required)
		var skipped, failed bool
		done := make(chan bool)
		go func() {
			defer close(done)
			r := &recorder{TB: t}
			defer func() { skipped, failed = r.skipped, r.failed }()
			testenv.Tool(r, "no-such-program-syscage", "none")
		}()
		<-done
		if required == "" && (!skipped || failed) {
			t.Errorf("without SYSCAGE_REQUIRE_TOOLS: skipped %v failed %v, want a skip", skipped, failed)
		}
		if required != "" && (skipped || !failed) {
			t.Errorf("with SYSCAGE_REQUIRE_TOOLS: skipped %v failed %v, want a failure", skipped, failed)
		}
	}
}

// recorder notes Skipf and Fatalf instead of ending the test; both end
// the calling goroutine as the testing package's do.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(string, ...any) {
	r.skipped = true
	runtime.Goexit()
}

func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}
