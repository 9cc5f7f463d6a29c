package formats_test

import (
	"strings"
	"testing"

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
