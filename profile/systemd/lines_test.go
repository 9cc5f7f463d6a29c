package systemd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/systemd"
)

// Units end lines where systemd's read_line does: at "\n" and "\r" (NUL
// bytes are refused), with "\r\n" and "\n\r" one line end. A reset hidden
// behind a carriage return in a comment line is a reset, as systemd 252
// applies it; reading only "\n" as a line end showed ptrace denied where
// systemd filters nothing. Each unit is also checked against
// systemd-analyze.
func TestLineEnds(t *testing.T) {
	const head = "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n"
	for _, tc := range []struct {
		name, body string
		filtered   bool // systemd filters ptrace
	}{
		{"cr-comment", "SystemCallFilter=~ptrace\n# comment\rSystemCallFilter=\n", false},
		{"cr-reset", "SystemCallFilter=~ptrace\r\rSystemCallFilter=\r", false},
		{"crlf", "SystemCallFilter=~ptrace\r\n# x\r\nSystemCallFilter=bpf\r\n", true},
		// "\n\r" is one line end: the continued line goes on with mount.
		{"lfcr-continued", "SystemCallFilter=~ptrace \\\n\rmount\n", true},
		// "\n\n" is two: the continuation ends at the empty line.
		{"lflf-continued", "SystemCallFilter=~ptrace \\\n\nSystemCallFilter=\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unit := head + tc.body
			p, err := systemd.Parse(tc.name+".service", []byte(unit))
			if err != nil {
				t.Fatal(err)
			}
			got := p.Default.Kind != profile.ActAllow || len(p.Rules) > 0
			if got != tc.filtered {
				t.Errorf("filtered = %v, systemd: %v; profile %+v", got, tc.filtered, p)
			}
			if tc.name == "lfcr-continued" && action(t, p, "mount").Kind == profile.ActAllow {
				t.Errorf("mount allowed: the line continued after \"\\n\\r\" names it")
			}
			if path, err := exec.LookPath("systemd-analyze"); err == nil || testenv.Required() {
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				f := filepath.Join(dir, "t.service")
				if err := os.WriteFile(f, []byte(unit), 0o644); err != nil {
					t.Fatal(err)
				}
				out, _ := exec.Command(path, "security", "--offline=true", "--no-pager", f).CombinedOutput()
				if !strings.Contains(string(out), "SystemCallFilter=") {
					t.Fatalf("systemd-analyze security: %s", out)
				}
				sd := !strings.Contains(string(out), "Service does not filter system calls")
				if sd != tc.filtered {
					t.Errorf("systemd-analyze: filtered = %v, the test expects %v", sd, tc.filtered)
				}
			}
		})
	}
}
