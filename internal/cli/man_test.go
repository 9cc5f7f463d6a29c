package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestManPages: the man pages in man/ are what the commands generate
// (go generate ./internal/cli writes them).
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManPages(dir); err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	have, _ := filepath.Glob("../../man/*.1")
	base := func(fs []string) []string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = filepath.Base(f)
		}
		return out
	}
	if !slices.Equal(base(want), base(have)) {
		t.Fatalf("man/ holds %v, the commands make %v: run go generate ./internal/cli", base(have), base(want))
	}
	if len(want) < 20 {
		t.Fatalf("only %d man pages generated", len(want))
	}
	for _, f := range want {
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		old, err := os.ReadFile(filepath.Join("../../man", filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(old) {
			t.Errorf("man/%s is stale: run go generate ./internal/cli", filepath.Base(f))
		}
	}
}
