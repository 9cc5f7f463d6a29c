package spo_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syscage/syscage/profile/spo"
)

// FuzzParse: no panic, a nil profile exactly when there is an error, and
// a stable round trip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, meta, err := spo.Decode("fuzz.yaml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned %v and %v", p, err)
		}
		if err != nil {
			return
		}
		if meta.Name == "" {
			meta.Name = "x"
		}
		out, losses, err := spo.Format(p, spo.Options{Meta: meta})
		if err != nil {
			t.Fatalf("Format of a parsed profile: %v %v", err, losses)
		}
		q, meta2, err := spo.Decode("formatted.yaml", out)
		if err != nil {
			t.Fatalf("Parse(Format(p)): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, q) || meta != meta2 {
			t.Fatalf("Parse(Format(p)) != p:\n%+v\n%+v\n%s", p, q, out)
		}
	})
}
