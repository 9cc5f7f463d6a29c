package systemd_test

import (
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/systemd"
)

// TestLossyDockerDefault: the lossy unit of Docker's default profile
// lets processes fork and open sockets, says so with the settings
// systemd has, and names the calls in its losses.
func TestLossyDockerDefault(t *testing.T) {
	r := dockerDebian12(t)
	out, losses, err := systemd.Format(r, systemd.Options{Lossy: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RestrictNamespaces=yes\n", "LockPersonality=yes\n", "RestrictAddressFamilies=AF_UNIX AF_INET "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("written unit lacks %q:\n%s", want, out)
		}
	}
	var text []string
	for _, l := range losses {
		if l.Rule != 0 {
			t.Errorf("loss names a rule number: %s", l)
		}
		text = append(text, l.String())
	}
	all := strings.Join(text, "\n")
	for _, call := range []string{"clone:", "socket:", "personality:"} {
		if !strings.Contains(all, call) {
			t.Errorf("losses do not name %s\n%s", call, all)
		}
	}
	q, err := systemd.Parse("written.service", out)
	if err != nil {
		t.Fatal(err)
	}
	// Read back, clone without namespace flags and socket(AF_INET) run.
	for _, c := range []struct {
		name string
		args [6]uint64
	}{{"clone", [6]uint64{0x11}}, {"socket", [6]uint64{2, 1}}, {"personality", [6]uint64{0}}} {
		nr, _ := arch.X86_64.SyscallNumber(c.name)
		a, err := profile.Evaluate(q, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: c.args})
		if err != nil || a.Kind != profile.ActAllow {
			t.Errorf("%s%v under the written unit: %v %v", c.name, c.args, a, err)
		}
	}
}

// dockerDebian12 returns Docker's default profile resolved for x86_64 on
// Debian 12's kernel (6.1), the one systemd 252 runs on.
func dockerDebian12(t *testing.T) *profile.Profile {
	t.Helper()
	p, err := builtin.Get("docker-default")
	if err == nil {
		p, err = p.Resolve(profile.Env{Arch: arch.X86_64, Caps: oci.DefaultCaps, Kernel: "6.1.0"})
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}
