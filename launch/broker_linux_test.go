package launch_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
)

// TestAllowOpen runs cat(1) with its opens brokered: a file in the
// allowed tree reads, and the launcher refuses (EACCES, reported) a
// file outside, a symbolic link out of the tree and a ".." out of it;
// cat itself starts (the loader's files are in DefaultOpens).
func TestAllowOpen(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	secret := filepath.Join(dir, "secret")
	testenv.Tree(t, dir, map[string]string{
		"tree/f":    "inside\n",
		"secret":    "secret\n",
		"tree/link": "-> " + secret,
	})
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{filepath.Join(tree, "f"), true},
		{secret, false},
		{filepath.Join(tree, "link"), false},
		{tree + "/../secret", false},
	} {
		for _, brokered := range []bool{false, true} {
			cmd := launch.Command(allowAll(), "/bin/cat", c.name)
			if brokered {
				cmd.AllowOpen = []launch.OpenRule{{Path: tree}}
			}
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			ok := brokered == false || c.ok
			if (err == nil) != ok {
				t.Errorf("brokered=%v cat %s: %v, want ok=%v\n%s", brokered, c.name, err, ok, errb.String())
				continue
			}
			if !ok {
				if !strings.Contains(errb.String(), "Permission denied") {
					t.Errorf("cat %s: stderr %q, want EACCES", c.name, errb.String())
				}
				evs := cmd.Status.Events
				if len(evs) != 1 || evs[0].Policy != "allow-open" || evs[0].Path != c.name {
					t.Errorf("cat %s: events %v, want the refused open", c.name, evs)
				}
			} else if out.Len() == 0 {
				t.Errorf("cat %s: no output", c.name)
			}
		}
	}
}
