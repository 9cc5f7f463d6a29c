package testenv

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Tree makes a tree of files below dir, ending the test on an error. Each
// key is a slash-separated path below dir: a key that ends in "/" is a
// directory; a value that begins with "-> " makes a symbolic link to the
// rest of it; any other value is the content of a file. Parent
// directories are made as needed.
func Tree(t testing.TB, dir string, tree map[string]string) {
	t.Helper()
	names := slices.Sorted(maps.Keys(tree))
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch v := tree[name]; {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(path, 0o755)
		case strings.HasPrefix(v, "-> "):
			err = os.Symlink(strings.TrimPrefix(v, "-> "), path)
		default:
			err = os.WriteFile(path, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
