package launch

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/internal/unix"
)

// TestBrokerOpen checks the broker's resolution: files in an allowed
// tree open with the access the rule gives, and no name reaches a file
// outside it, through "..", a symbolic link (relative, absolute, to a
// directory) or a relative name from a working directory.
func TestBrokerOpen(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	rw := filepath.Join(dir, "rw")
	out := filepath.Join(dir, "secret")
	testenv.Tree(t, dir, map[string]string{
		"rw/":       "",
		"ro/f":      "x",
		"secret":    "x",
		"single":    "x",
		"ro/abs":    "-> " + out,
		"ro/rel":    "-> ../secret",
		"ro/updir":  "-> ..",
		"ro/inside": "-> sub/../f",
		"outlink":   "-> " + filepath.Join(ro, "f"),
		"ro/sub/up": "-> ../f",
	})
	root, err := syscall.Open("/", unix.O_PATH|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(root)
	rules := []OpenRule{{Path: ro}, {Path: rw, Write: true}, {Path: filepath.Join(dir, "single")}}
	const rdonly, wronly, creat = syscall.O_RDONLY, syscall.O_WRONLY, syscall.O_WRONLY | syscall.O_CREAT
	for _, c := range []struct {
		base, name string
		flags      int
		ok         bool
	}{
		{"/", filepath.Join(ro, "f"), rdonly, true},
		{ro, "f", rdonly, true},
		{filepath.Join(ro, "sub"), "../f", rdonly, true},
		{ro, "inside", rdonly, true},
		{ro, "sub/up", rdonly, true},
		{"/", filepath.Join(dir, "single"), rdonly, true},
		{rw, "new", creat, true},
		{"/", filepath.Join(ro, "f"), wronly, false}, // read-only tree
		{ro, "new", creat, false},                    // read-only tree
		{"/", out, rdonly, false},                    // outside
		{ro, "../secret", rdonly, false},             // .. out of the tree
		{ro, "sub/../../secret", rdonly, false},      // .. out of the tree
		{ro, "abs", rdonly, false},                   // absolute link out
		{ro, "rel", rdonly, false},                   // relative link out
		{ro, "updir/secret", rdonly, false},          // link to the parent
		{dir, "outlink", rdonly, false},              // a link from outside into a tree
		{"/", filepath.Join(dir, "single2"), rdonly, false},
		{"/", ro + "/../secret", rdonly, false},
	} {
		f, err := brokerOpen(rules, root, c.base, c.name, c.flags, 0o600)
		if f != nil {
			f.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("open %q from %q (flags %#x): err %v, want ok=%v", c.name, c.base, c.flags, err, c.ok)
		}
		if !c.ok && err != nil && !errors.Is(err, errOpenDenied) {
			t.Errorf("open %q from %q: %v, want the broker's refusal", c.name, c.base, err)
		}
	}
}
