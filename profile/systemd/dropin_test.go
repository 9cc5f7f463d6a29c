package systemd

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/syscage/syscage/profile"
)

// TestDropInDirs pins the directories systemd's unit_file_find_dirs
// walks, the most specific first.
func TestDropInDirs(t *testing.T) {
	for name, want := range map[string][]string{
		"app.service":         {"app.service"},
		"foo-bar-baz.service": {"foo-bar-baz.service", "foo-bar-.service", "foo-.service"},
		"foo-bar@x.service":   {"foo-bar@x.service", "foo-bar@.service", "foo-.service", "foo-@x.service", "foo-@.service"},
		"foo-bar@.service":    {"foo-bar@.service", "foo-.service"},
		"-foo.service":        {"-foo.service"},
		"foo--bar.service":    {"foo--bar.service", "foo--.service", "foo-.service"},
		`dev-a\x2db.service`:  {`dev-a\x2db.service`, "dev-.service"},
	} {
		if got := dropInDirs(name); !slices.Equal(got, want) {
			t.Errorf("dropInDirs(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestDropIns reads a unit's drop-ins from its own, its template's and
// its prefixes' directories, sorted by file name, the more specific of
// two of one name masking the other, a link to /dev/null masking too.
func TestDropIns(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) { writeFile(t, dir, name, text) }
	write("foo-bar@x.service", "[Service]\nSystemCallFilter=@system-service\n")
	write("foo-.service.d/10-prefix.conf", "[Service]\nSystemCallFilter=~mkdir\n")
	write("foo-.service.d/20-same.conf", "[Service]\nSystemCallFilter=~chdir\n")
	write("foo-bar@.service.d/20-same.conf", "[Service]\nSystemCallFilter=~rmdir\n")
	write("foo-bar@.service.d/30-masked.conf", "[Service]\nSystemCallFilter=~uname\n")
	write("foo-bar@x.service.d/05-first.conf", "[Service]\nSystemCallFilter=~getcwd\n")
	write("foo-bar@x.service.d/other.txt", "[Service]\nSystemCallFilter=~read\n")
	if err := os.Symlink("/dev/null", filepath.Join(dir, "foo-bar@x.service.d/30-masked.conf")); err != nil {
		t.Fatal(err)
	}
	files, err := DropIns(filepath.Join(dir, "foo-bar@x.service"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f.Name)
		got = append(got, rel)
	}
	want := []string{"foo-bar@x.service.d/05-first.conf", "foo-.service.d/10-prefix.conf", "foo-bar@.service.d/20-same.conf"}
	if !slices.Equal(got, want) {
		t.Fatalf("DropIns = %q, want %q", got, want)
	}
	p, _, err := LoadUnit(filepath.Join(dir, "foo-bar@x.service"))
	if err != nil {
		t.Fatal(err)
	}
	denied := map[string]bool{}
	for _, n := range []string{"getcwd", "mkdir", "rmdir", "chdir", "uname", "read"} {
		denied[n] = true
	}
	for _, r := range p.Rules {
		if r.Action.Kind == profile.ActAllow {
			for _, n := range r.Names {
				delete(denied, n)
			}
		}
	}
	for n, want := range map[string]bool{"getcwd": true, "mkdir": true, "rmdir": true, "chdir": false, "uname": false, "read": false} {
		if denied[n] != want {
			t.Errorf("%s denied: %v, want %v", n, denied[n], want)
		}
	}
}

// TestDropInsSearchPath: a unit in systemd's search path gets the
// drop-ins of every directory of the path, a directory earlier in the
// path masking a file of the same name in a later one even for a less
// specific unit name, and the unit type's top-level drop-ins (service.d);
// a unit outside the path only those beside it.
func TestDropInsSearchPath(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) { writeFile(t, root, name, text) }
	write("usr/lib/systemd/system/foo-bar.service", "[Service]\nSystemCallFilter=@system-service\n")
	write("usr/lib/systemd/system/foo-bar.service.d/10-a.conf", "[Service]\nSystemCallFilter=~mkdir\n")
	write("etc/systemd/system/foo-.service.d/10-a.conf", "[Service]\nSystemCallFilter=~chdir\n")
	write("run/systemd/system/foo-bar.service.d/20-b.conf", "[Service]\nSystemCallFilter=~rmdir\n")
	write("usr/lib/systemd/system/service.d/30-c.conf", "[Service]\nSystemCallFilter=~uname\n")
	write("etc/systemd/system/other.service.d/40-d.conf", "[Service]\nSystemCallFilter=~getcwd\n")
	write("elsewhere/foo-bar.service", "[Service]\nSystemCallFilter=@system-service\n")
	write("elsewhere/service.d/50-e.conf", "[Service]\nSystemCallFilter=~chmod\n")
	rel := func(files []File) []string {
		var out []string
		for _, f := range files {
			r, _ := filepath.Rel(root, f.Name)
			out = append(out, r)
		}
		return out
	}
	files, err := dropIns(root, filepath.Join(root, "usr/lib/systemd/system/foo-bar.service"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"etc/systemd/system/foo-.service.d/10-a.conf", "run/systemd/system/foo-bar.service.d/20-b.conf", "usr/lib/systemd/system/service.d/30-c.conf"}
	if got := rel(files); !slices.Equal(got, want) {
		t.Errorf("in the search path: %q, want %q", got, want)
	}
	files, err = dropIns(root, filepath.Join(root, "elsewhere/foo-bar.service"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rel(files), []string{"elsewhere/service.d/50-e.conf"}; !slices.Equal(got, want) {
		t.Errorf("outside the search path: %q, want %q", got, want)
	}
}

// writeFile writes text to the file name under dir, making its
// directories.
func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
