package seccomp_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// TestOutput writes a filter in every output format: each is what the
// method of its name gives, and an unknown name is refused.
func TestOutput(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Rules: []profile.Rule{{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"raw": f.Encode(), "text": []byte(f.Text()), "c": f.C("p.json"), "go": f.Go("p.json")}
	if len(seccomp.OutputFormats) != len(want) {
		t.Errorf("OutputFormats = %v", seccomp.OutputFormats)
	}
	for _, name := range seccomp.OutputFormats {
		of, err := seccomp.ParseOutputFormat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Output(of, "p.json"); len(got) == 0 || !bytes.Equal(got, want[name]) {
			t.Errorf("Output(%s) differs from its method's output", name)
		}
	}
	if _, err := seccomp.ParseOutputFormat("asm"); err == nil || !strings.Contains(err.Error(), `unknown format "asm"`) {
		t.Errorf("ParseOutputFormat(asm) = %v", err)
	}
}

// TestReadWeights reads a weights file, and names it in errors of its
// content.
func TestReadWeights(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "w.txt")
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(good, []byte("# calls\nread 10\nwrite 5\n"), 0o644)
	os.WriteFile(bad, []byte("read ten\n"), 0o644)
	w, err := seccomp.ReadWeights(good)
	if err != nil || w["read"] != 10 || w["write"] != 5 || len(w) != 2 {
		t.Errorf("ReadWeights = %v, %v", w, err)
	}
	if _, err := seccomp.ReadWeights(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":") {
		t.Errorf("bad file: err = %v, want it named", err)
	}
	if _, err := seccomp.ReadWeights(filepath.Join(dir, "none")); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v", err)
	}
}
