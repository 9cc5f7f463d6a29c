package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	if err := Write(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	readBack(t, p, "one", 0o644)

	// An existing file keeps its mode.
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	readBack(t, p, "two", 0o600)

	// A symbolic link stays a link; the file it points to is replaced.
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("three")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symbolic link (%v)", link, err)
	}
	readBack(t, p, "three", 0o600)

	// No temporary file is left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("the directory holds %d files, want 2 (out, link)", len(ents))
	}
}

// A device is written in place, never replaced by a file.
func TestWriteDevice(t *testing.T) {
	if err := Write(os.DevNull, []byte("x")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device (%v)", os.DevNull, err)
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"directory", dir, "is a directory; give a file name"},
		{"missing directory", filepath.Join(dir, "none", "out"), "directory " + filepath.Join(dir, "none") + " does not exist"},
		{"parent is a file", filepath.Join(file, "out"), file + " is not a directory"},
		{"deeper under a file", filepath.Join(file, "a", "out"), file + " is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for fn, f := range map[string]func(string) error{
				"Write": func(p string) error { return Write(p, []byte("x")) },
				"Check": Check,
			} {
				err := f(tc.path)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "write "+tc.path+": ") {
					t.Errorf("%s(%s) = %v, want an error naming the path and saying %q", fn, tc.path, err, tc.want)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "none")); err == nil {
		t.Error("a failed write created a directory")
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := Check(filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("Check left %d files behind", len(ents))
	}
}

func readBack(t *testing.T, path, want string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || string(b) != want {
		t.Fatalf("%s holds %q (%v), want %q", path, b, err, want)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != mode {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
}
