package systemd_test

import (
	"context"
	"errors"
	"os/exec"
	"testing"

	"github.com/syscage/syscage/profile/systemd"
)

func TestParseVersion(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      int
	}{
		{"debian 12", "systemd 252 (252.36-1~deb12u1)\n+PAM +AUDIT +SELINUX\n", 252},
		{"newer", "systemd 257 (257.9-1)\n", 257},
		{"older than known", "systemd 249 (249.11)\n", systemd.MinVersion},
		{"not systemctl", "usage: systemctl\n", systemd.MinVersion},
		{"empty", "", systemd.MinVersion},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := systemd.ParseVersion([]byte(c.out)); got != c.want {
				t.Errorf("ParseVersion(%q) = %d, want %d", c.out, got, c.want)
			}
		})
	}
}

func TestHostVersion(t *testing.T) {
	var asked []string
	run := func(_ context.Context, name string, args ...string) ([]byte, error) {
		asked = append([]string{name}, args...)
		return []byte("systemd 258 (258.1)\n"), nil
	}
	if got := systemd.HostVersion(context.Background(), run); got != 258 {
		t.Errorf("HostVersion = %d, want 258", got)
	}
	if len(asked) != 2 || asked[0] != "systemctl" || asked[1] != "--version" {
		t.Errorf("HostVersion ran %q, want systemctl --version", asked)
	}
	fail := func(context.Context, string, ...string) ([]byte, error) {
		return nil, errors.New("no systemctl")
	}
	if got := systemd.HostVersion(context.Background(), fail); got != systemd.MinVersion {
		t.Errorf("HostVersion without systemctl = %d, want %d", got, systemd.MinVersion)
	}
}

// TestHostVersionReal asks this host's systemctl, when there is one, and
// checks the answer against its first line.
func TestHostVersionReal(t *testing.T) {
	path, err := exec.LookPath("systemctl")
	if err != nil {
		t.Skip("no systemctl on this host")
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		t.Skipf("systemctl --version: %v", err)
	}
	run := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		return exec.CommandContext(ctx, name, args...).Output()
	}
	if got, want := systemd.HostVersion(context.Background(), run), systemd.ParseVersion(out); got != want {
		t.Errorf("HostVersion = %d, systemctl says %d", got, want)
	}
}
