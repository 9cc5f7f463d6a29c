package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
)

func TestVersionString(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "43d7056abcdef0123456789abcdef0123456789a"},
		{Key: "vcs.time", Value: "2026-12-07T14:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name, linked string
		bi           *debug.BuildInfo
		want         string
	}{
		{"no build info", "devel", nil, "devel"},
		{"go build in a checkout", "devel", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"devel (revision 43d7056abcdef0123456789abcdef0123456789a of 2026-12-07T14:00:00Z, modified; go1.26.8)"},
		{"go install @version", "devel", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"v1.2.3 (go1.26.8)"},
		{"linked", "v2.0.0", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: vcs[:3]},
			"v2.0.0 (revision 43d7056abcdef0123456789abcdef0123456789a of 2026-12-07T14:00:00Z; go1.26.8)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionString(tc.linked, tc.bi); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestVersionBuilt builds syscage as a user does (go build in the
// checkout) and checks that --version names the checkout's revision.
func TestVersionBuilt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v (the test runs in a git checkout)", err)
	}
	head := strings.TrimSpace(string(out))
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !fi.IsDir() {
		t.Skip("a git worktree (.git is a file): go build records no VCS information there")
	}
	bin := testenv.BuildSyscage(t, "GOFLAGS=-buildvcs=true")
	b, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, "syscage ") || !strings.Contains(got, "revision "+head+" of ") || strings.Contains(got, "syscage devel\n") {
		t.Errorf("--version = %q, want the revision %s and its date", got, head)
	}
}
