package lxc_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syscage/syscage/profile/lxc"
)

// FuzzParse: no panic, a nil profile exactly when there is an error, a
// lossless Format of every parsed version 2 policy and a stable round
// trip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.seccomp")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("2\nallowlist errno 1\n[x86]\nread allow [0,1,==] [1,0x10,&=,0x30]\n# c\nwrite # d\n"))
	f.Add([]byte("2\nblacklist notify\nmount kill\n[ALL]\nreject_force_umount\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := lxc.Parse("fuzz", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned %v and %v", p, err)
		}
		if err != nil || p.ArchMap == nil {
			return // version 1 needs no lossless check: it has no sections
		}
		out, losses, err := lxc.Format(p, lxc.Options{})
		if err != nil || len(losses) > 0 {
			t.Fatalf("Format of a parsed policy: %v %v", err, losses)
		}
		q, err := lxc.Parse("formatted", out)
		if err != nil {
			t.Fatalf("Parse(Format(p)): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("Parse(Format(p)) != p:\n%+v\n%+v\n%s", p, q, out)
		}
		again, _, _ := lxc.Format(q, lxc.Options{})
		if string(again) != string(out) {
			t.Fatal("Format is not stable")
		}
	})
}
