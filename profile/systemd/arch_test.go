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

// The reader's spellings of SystemCallArchitectures= are arch's systemd
// names, every one of them.
func TestArchNames(t *testing.T) {
	seen := map[arch.Arch]bool{}
	for _, n := range archNames {
		if got := n.a.Systemd(); got != n.name {
			t.Errorf("%s: arch says systemd names it %q, the reader reads %q", n.a, got, n.name)
		}
		seen[n.a] = true
	}
	for _, a := range arch.All() {
		if a.Systemd() != "" && !seen[a] {
			t.Errorf("%s: arch names it %q for systemd, the reader does not read it", a, a.Systemd())
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
