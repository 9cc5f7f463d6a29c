package formats_test

import (
	"os"
	"strings"
	"testing"

	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
)

func TestRewritable(t *testing.T) {
	plain := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`
	for _, tc := range []struct {
		name, data string
		to         formats.Format
		why        string // a part of the reason; "" when it can be rewritten
	}{
		{"plain", plain, "", ""},
		{"plain as oci", plain, formats.OCI, ""},
		{"plain as systemd", plain, formats.Systemd, "the oci file would be rewritten as systemd"},
		{"runtime config", `{"ociVersion": "1.0.2", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}`, "", "OCI runtime config"},
		{"conditional", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}`, "", "includes, excludes or archMap"},
		{"systemd", "[Service]\nSystemCallFilter=read write\n", "", "systemd unit"},
		{"lxc", "2\nallowlist\nread\n", "", "LXC policy"},
		{"spo", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: x\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n", "", "SeccompProfile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			why, err := formats.Rewritable("f", []byte(tc.data), tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if tc.why == "" && why != "" || !strings.Contains(why, tc.why) {
				t.Errorf("Rewritable = %q, want %q", why, tc.why)
			}
		})
	}
	if _, err := formats.Rewritable("f", []byte(`{"defaultAction": 1}`), ""); err == nil || !strings.HasPrefix(err.Error(), "f:") {
		t.Errorf("a broken file: %v, want its parse error", err)
	}
}

func TestNeedsResolve(t *testing.T) {
	parse := func(s string) *profile.Profile {
		p, _, err := formats.Parse("p", []byte(s), "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := parse(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`)
	caps := parse(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}`)
	lxcOwn := parse("2\nallowlist\nread\n") // the archMap LXC gives every policy
	for _, tc := range []struct {
		name   string
		p      *profile.Profile
		f      formats.Format
		config bool
		want   bool
	}{
		{"plain", plain, formats.LXC, false, false},
		{"caps to oci", caps, formats.OCI, false, false},
		{"caps to config.json", caps, formats.OCI, true, true},
		{"caps to systemd", caps, formats.Systemd, false, true},
		{"lxc's archMap to lxc", lxcOwn, formats.LXC, false, false},
		{"lxc's archMap to systemd", lxcOwn, formats.Systemd, false, true},
	} {
		if got := formats.NeedsResolve(tc.p, tc.f, tc.config); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRewritableRef reads the file a reference names; a built-in's name
// cannot be rewritten, a file in the working directory of that name is a
// file like any other, and a missing file is an error.
func TestRewritableRef(t *testing.T) {
	t.Chdir(t.TempDir())
	if why, err := formats.RewritableRef("strict", ""); err != nil || !strings.Contains(why, "built-in") {
		t.Errorf("strict: %q, %v; want a built-in cannot be changed", why, err)
	}
	plain := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`
	if err := os.WriteFile("app.json", []byte(plain), 0o644); err != nil {
		t.Fatal(err)
	}
	if why, err := formats.RewritableRef("app.json", ""); err != nil || why != "" {
		t.Errorf("app.json: %q, %v; want rewritable", why, err)
	}
	if why, err := formats.RewritableRef("app.json", formats.LXC); err != nil || why == "" {
		t.Errorf("app.json as lxc: %q, %v; want refused", why, err)
	}
	if err := os.WriteFile("strict", []byte(plain), 0o644); err != nil {
		t.Fatal(err)
	}
	if why, err := formats.RewritableRef("strict", ""); err != nil || why != "" {
		t.Errorf("a file named strict: %q, %v; want rewritable", why, err)
	}
	if _, err := formats.RewritableRef("none.json", ""); !os.IsNotExist(err) {
		t.Errorf("none.json: err = %v, want not exist", err)
	}
}
