package systemd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/systemd"
)

// TestVersion252 writes Docker's default profile for systemd 252 and has
// the host's systemd-analyze verify the unit: without Version it warns
// for every name systemd 252 cannot resolve; with it, for none, and the
// names left out are listed as losses.
func TestVersion252(t *testing.T) {
	analyze := testenv.Tool(t, "systemd-analyze", "systemd")
	out, err := exec.Command(analyze, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "systemd 252 ") {
		t.Skipf("systemd-analyze is not systemd 252's: %s", out)
	}
	r := dockerDebian12(t)
	verify := func(unit []byte) string {
		dir := t.TempDir()
		f := filepath.Join(dir, "probe.service")
		body := "[Unit]\nDescription=probe\n" + strings.Replace(string(unit), "[Service]\n", "[Service]\nExecStart=/bin/true\n", 1)
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(analyze, "verify", f).CombinedOutput()
		var bad []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "probe.service") && strings.Contains(l, "ignoring") {
				bad = append(bad, l)
			}
		}
		return strings.Join(bad, "\n")
	}
	any, _, err := systemd.Format(r, systemd.Options{Lossy: true})
	if err != nil {
		t.Fatal(err)
	}
	if verify(any) == "" {
		t.Log("systemd 252 resolves every name of the unit written for any version")
	}
	u, losses, err := systemd.Format(r, systemd.Options{Lossy: true, Version: 252})
	if err != nil {
		t.Fatal(err)
	}
	if w := verify(u); w != "" {
		t.Errorf("systemd-analyze verify warns for the unit written for 252:\n%s", w)
	}
	var named bool
	for _, l := range losses {
		if strings.HasPrefix(l.What, "mseal: systemd 252 cannot resolve the name") {
			named = true
		}
	}
	if !named {
		t.Errorf("no loss names mseal: %v", losses)
	}
	// A call systemd 252 cannot name cannot be denied.
	q := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}, Arches: []arch.Arch{arch.X86_64},
		Rules: []profile.Rule{{Names: []string{"mseal"}, Action: profile.Action{Kind: profile.ActErrno, Data: 1}}}}
	if _, _, err := systemd.Format(q, systemd.Options{Lossy: true, Version: 252}); err == nil || !strings.Contains(err.Error(), "mseal: systemd 252 cannot resolve the name, so it cannot give it ERRNO(1)") {
		t.Errorf("denying mseal for systemd 252: %v", err)
	}
}
