package testenv_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// With SYSCAGE_TEST_NO_I386 set, NeedI386 skips, naming the kernel
// settings, and RunsI386 says no; without it, they follow the kernel.
func TestNoI386Env(t *testing.T) {
	t.Setenv(testenv.NoI386Env, "1")
	if testenv.RunsI386(t) {
		t.Errorf("RunsI386 with %s set: true", testenv.NoI386Env)
	}
	r := &recorder{TB: t}
	done := make(chan bool)
	go func() {
		defer close(done)
		testenv.NeedI386(r)
	}()
	<-done
	if !r.skipped || r.failed {
		t.Fatalf("NeedI386 with %s set: skipped %v failed %v, want a skip", testenv.NoI386Env, r.skipped, r.failed)
	}
	for _, s := range []string{"ia32_emulation", "CONFIG_IA32_EMULATION", testenv.NoI386Env} {
		if !strings.Contains(r.msg, s) {
			t.Errorf("skip message %q does not name %s", r.msg, s)
		}
	}
}

// TestTree makes a tree of each kind of entry and reads it back.
func TestTree(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"d/":     "",
		"a/b/f":  "content",
		"a/link": "-> b/f",
		"a/b/up": "-> ..",
		"e/f/g/": "",
	})
	if b, err := os.ReadFile(filepath.Join(dir, "a", "link")); err != nil || string(b) != "content" {
		t.Errorf("a/link: %q, %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "a", "b", "up")); err != nil || l != ".." {
		t.Errorf("a/b/up: %q, %v", l, err)
	}
	for _, d := range []string{"d", "e/f/g"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v, %v", d, fi, err)
		}
	}
}

func TestStatusField(t *testing.T) {
	status := "Name:\tcat\nSeccomp:\t2\nSeccomp_filters:\t1\nCapEff:\t000001ffffffffff\n"
	for key, want := range map[string]string{"Seccomp": "2", "Seccomp_filters": "1", "CapEff": "000001ffffffffff", "NoNewPrivs": ""} {
		if got := testenv.StatusField(status, key); got != want {
			t.Errorf("StatusField(%s) = %q, want %q", key, got, want)
		}
	}
	if os.Geteuid() == 0 && !testenv.HasCapability(testenv.CapSysAdmin) {
		t.Error("HasCapability(CapSysAdmin) = false as root")
	}
}
