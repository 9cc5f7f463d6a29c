package ociconfig_test

import (
	"os"
	"testing"

	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/ociconfig"
)

// FuzzPatch: no panic; a patched config reads back with oci.Parse as the
// profile put in.
func FuzzPatch(f *testing.F) {
	if data, err := os.ReadFile("testdata/runc-spec.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"ociVersion":"1.0.0","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}}}`))
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 38},
		Rules: []profile.Rule{{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	f.Fuzz(func(t *testing.T, config []byte) {
		out, err := ociconfig.Patch("fuzz.json", config, p)
		if err != nil {
			return
		}
		q, err := oci.Parse("patched.json", out)
		if err != nil {
			t.Fatalf("patched config does not read back: %v\n%s", err, out)
		}
		if q.Default != p.Default || len(q.Rules) != 1 {
			t.Fatalf("read back %+v", q)
		}
	})
}
