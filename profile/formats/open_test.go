package formats_test

import (
	"os"
	"strings"
	"testing"

	"github.com/syscage/syscage/profile/formats"
)

func TestOpen(t *testing.T) {
	t.Chdir(t.TempDir())
	json := []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`)
	for _, f := range []string{"strict", "mine", "app.json"} {
		if err := os.WriteFile(f, json, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ref  string
		err  string // a part; "" for none
		rule bool   // the profile has rules: the built-in, not the file
	}{
		{"docker-default", "", true},
		{"./strict", "", false},
		{"app.json", "", false},
		{"strict", "both a built-in profile and a file in the working directory; write ./strict", false},
		{"mine", "not a built-in profile (docker-default, strict, unconfined); for the file in the working directory write ./mine", false},
		{"nothing", "a file needs a path, such as ./nothing", false},
		{"none.json", "no such file", false},
	} {
		p, f, err := formats.Open(tc.ref, "")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Open(%s): %v, want %q", tc.ref, err, tc.err)
			}
			continue
		}
		if err != nil || f != formats.OCI || (len(p.Rules) > 0) != tc.rule {
			t.Errorf("Open(%s) = %d rules, %s, %v", tc.ref, len(p.Rules), f, err)
		}
	}
	for ref, want := range map[string]bool{"strict": true, "./strict": false, "strict.json": false, "mine": false} {
		if formats.IsBuiltin(ref) != want {
			t.Errorf("IsBuiltin(%s) = %v", ref, !want)
		}
	}
}
