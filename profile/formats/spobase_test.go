package formats_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
)

const (
	spoApp = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: app
  namespace: web
spec:
  baseProfileName: runc-v1.2.0
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [openat]
`
	spoRunc = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: runc-v1.2.0
  namespace: web
spec:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [fchdir, capset]
`
)

// TestOpenSPOBase: a SeccompProfile whose base profile is a file beside
// it reads as the operator installs it, with the base's rules.
func TestOpenSPOBase(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	app := write("app.yaml", spoApp)
	if _, _, err := formats.Open(app, ""); err == nil || !strings.Contains(err.Error(), `app.yaml:7:20: baseProfileName "runc-v1.2.0": the base profile is not given: no SeccompProfile of that name in namespace web`) {
		t.Fatalf("without its base: %v", err)
	}
	write("notes.yaml", "just: yaml\n")                                                              // not a SeccompProfile: passed over
	write("broken.yaml", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: Seccomp\n") // one that does not read: said
	if _, _, err := formats.Open(app, ""); err == nil || !strings.Contains(err.Error(), "and 1 SeccompProfile file(s) beside it do not read: ") || !strings.Contains(err.Error(), "broken.yaml:2:7") {
		t.Fatalf("with an unreadable file beside it: %v", err)
	}
	os.Remove(filepath.Join(dir, "broken.yaml"))
	write("runc.yaml", spoRunc)
	p, f, err := formats.Open(app, "")
	if err != nil || f != formats.SPO {
		t.Fatal(f, err)
	}
	host, _ := arch.Native()
	for name, runs := range map[string]bool{"openat": true, "fchdir": true, "capset": true, "mount": false} {
		v, err := profile.Evaluate(p, host, profile.Data{Nr: proftest.Nr(t, host, name), Arch: host.Audit()})
		if err != nil || v.Permits() != runs {
			t.Errorf("%s: %v %v, want runs=%v", name, v, err, runs)
		}
	}
}
