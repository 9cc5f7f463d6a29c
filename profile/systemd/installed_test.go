package systemd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/systemd"
	"github.com/syscage/syscage/seccomp"
)

// TestInstalledUnits reads every unit under /lib/systemd/system that
// sets SystemCallFilter= (with its drop-ins), as the host's systemd
// does, and compiles it for the host.
func TestInstalledUnits(t *testing.T) {
	units, _ := filepath.Glob("/lib/systemd/system/*")
	host, ok := arch.Native()
	if !ok {
		t.Skip("no native architecture")
	}
	n := 0
	for _, u := range units {
		data, err := os.ReadFile(u)
		if err != nil || !strings.Contains(string(data), "SystemCallFilter=") {
			continue
		}
		n++
		p, warns, err := systemd.LoadUnit(u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		for _, w := range warns {
			t.Logf("%s", w)
		}
		r, err := p.Resolve(profile.Env{Arch: host})
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		if _, err := seccomp.Compile(r, host, seccomp.Options{}); err != nil {
			t.Errorf("%s: compile: %v", u, err)
		}
	}
	if n == 0 {
		t.Skip("no unit with SystemCallFilter= under /lib/systemd/system (systemd not installed)")
	}
	t.Logf("%d units", n)
}
