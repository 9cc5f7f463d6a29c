// Package testenv is what syscage's tests share about their environment:
// the external programs and packages the README's test command installs.
//
// scripts/test.sh installs them (as root, with apt-get) and sets
// SYSCAGE_REQUIRE_TOOLS=1, so there a missing one fails the test; a plain
// `go test` on a developer's machine skips the test with the reason.
//
// A kernel feature that no package provides, such as running i386
// programs (RunsI386, NeedI386), is a skip everywhere, with the kernel
// setting named; SYSCAGE_TEST_NO_I386=1 makes the tests behave as on a
// kernel without it.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Required reports whether missing tools fail tests
// (SYSCAGE_REQUIRE_TOOLS is set).
func Required() bool { return os.Getenv("SYSCAGE_REQUIRE_TOOLS") != "" }

// Missing ends the test because something it needs is missing: a failure
// when Required, a skip otherwise. The message says what is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s; the README's test command installs it", msg)
	}
	t.Skipf("%s; run the README's test command", msg)
}

// Tool returns the path of program name, looked up in PATH or, when name
// is a path, checked to exist; if there is none it ends the test with
// Missing, naming the Debian package pkg that provides it.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err == nil {
			return name
		}
	} else if p, err := exec.LookPath(name); err == nil {
		return p
	}
	Missing(t, "%s not found (Debian package %s)", name, pkg)
	return ""
}

// Root ends the test with Missing unless it runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "%s needs root", why)
	}
}
