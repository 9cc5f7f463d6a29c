package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestDaemonSetCommand runs the syscage command of deploy/daemonset.yaml
// (on a state directory without containers): its flags are verify's.
func TestDaemonSetCommand(t *testing.T) {
	b, err := os.ReadFile("../../deploy/daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "syscage" {
			args = f[1:]
		}
	}
	if len(args) == 0 {
		t.Fatal("no syscage command in deploy/daemonset.yaml")
	}
	args = append(args, "--root", t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "no containers under") {
		t.Errorf("syscage %s: exit status %d, stdout %q, stderr %q; want 0 and no containers", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
}
