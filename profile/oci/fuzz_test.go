package oci_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syscage/syscage/profile/oci"
)

// FuzzParse: no panic, a nil profile exactly when there is an error, and
// a stable round trip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":2,"valueTwo":3,"op":"SCMP_CMP_MASKED_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_TRACE","defaultErrnoRet":65535,"syscalls":[{"name":"x","action":"SCMP_ACT_KILL"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := oci.Parse("fuzz.json", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned %v and %v", p, err)
		}
		if err != nil {
			return
		}
		out, err := oci.Format(p)
		if err != nil {
			t.Fatalf("Format of a parsed profile: %v", err)
		}
		q, err := oci.Parse("formatted.json", out)
		if err != nil {
			t.Fatalf("Parse(Format(p)): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("Parse(Format(p)) != p:\n%+v\n%+v", p, q)
		}
		again, _ := oci.Format(q)
		if string(again) != string(out) {
			t.Fatal("Format is not stable")
		}
	})
}
