package systemd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
)

// The reader reads every systemd name arch gives, as that ABI, and writes
// it back the same.
func TestArchNames(t *testing.T) {
	for _, a := range arch.All() {
		if a.Systemd() == "" {
			continue
		}
		if got, ok := parseArch(a.Systemd()); !ok || got != a {
			t.Errorf("%s: parseArch(%q) = %v, %v", a, a.Systemd(), got, ok)
		}
		if got := archName(a); got != a.Systemd() {
			t.Errorf("%s: archName = %q, want %q", a, got, a.Systemd())
		}
	}
}

// systemd itself reads every name arch gives it: systemd-analyze verify
// refuses a unit whose SystemCallArchitectures= it cannot parse. systemd
// 252 predates loongarch64 (systemd 253), which is then the one refusal.
func TestArchNamesSystemd(t *testing.T) {
	path := testenv.Tool(t, "systemd-analyze", "systemd")
	ver, err := exec.Command(path, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := strconv.Atoi(strings.TrimPrefix(strings.Fields(string(ver))[1], "v"))
	var names []string
	for _, a := range arch.All() {
		if a.Systemd() != "" {
			names = append(names, a.Systemd())
		}
	}
	unit := filepath.Join(t.TempDir(), "t.service")
	text := "[Service]\nExecStart=/bin/true\nSystemCallArchitectures=" + strings.Join(names, " ") + "\n"
	if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(path, "verify", unit).CombinedOutput()
	for _, a := range arch.All() {
		if a.Systemd() == "" {
			continue
		}
		refused := strings.Contains(string(out), fmt.Sprintf("architecture %q", a.Systemd()))
		if want := a == arch.LOONGARCH64 && v < 253; refused != want {
			t.Errorf("systemd %d: SystemCallArchitectures=%s refused: %v, want %v\n%s", v, a.Systemd(), refused, want, out)
		}
	}
}
