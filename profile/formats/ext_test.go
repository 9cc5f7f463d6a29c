package formats_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/spo"
)

// TestExt: a profile written in each format to a file named with its
// Ext opens again as that format.
func TestExt(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86_64},
		Rules: []profile.Rule{{Names: []string{"read", "write"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	dir := t.TempDir()
	for _, name := range formats.Names() {
		f := formats.Format(name)
		data, _, err := formats.Write(p, f, formats.Options{Lossy: true, WidenABIs: true, Host: arch.X86_64, Meta: spo.Meta{Name: "app"}})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		file := filepath.Join(dir, "app"+f.Ext())
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, got, err := formats.Open(file, ""); err != nil || got != f {
			t.Errorf("%s written to %s opens as %q (%v)", f, file, got, err)
		}
	}
	if got := formats.Format("").Ext(); got != ".json" {
		t.Errorf("the default format's extension: %q", got)
	}
}
