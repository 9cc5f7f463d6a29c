package formats_test

import (
	"testing"

	"github.com/syscage/syscage/profile/formats"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want formats.Format
	}{
		{`{"defaultAction": "SCMP_ACT_ALLOW"}`, formats.OCI},
		{"\ufeff  {\"ociVersion\": \"1.0.2\"}", formats.OCI},
		{"2\ndenylist\nmount errno 1\n", formats.LXC},
		{"# LXC\n1\nallowlist\n0\n", formats.LXC},
		{"apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n", formats.SPO},
		{"metadata:\n  name: x\nkind: SeccompProfile\n", formats.SPO},
		{"[Service]\nSystemCallFilter=@system-service\n", formats.Systemd},
		{"@system-service\n~@privileged\n", formats.Systemd},
		{"SystemCallFilter=~mount\n", formats.Systemd},
		// Refused by their own parser, with an error that names them.
		{"apiVersion: v1\nkind: ConfigMap\n", formats.SPO},
		{"3\nallowlist\n", formats.LXC},
	} {
		if got := formats.Detect([]byte(tc.in)); got != tc.want {
			t.Errorf("Detect(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestParseAll reads one profile in each format through Parse.
func TestParseAll(t *testing.T) {
	for _, in := range []string{
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]}`,
		"2\ndenylist\nmount errno 1\n",
		"apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: x\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n  - names: [mount]\n    action: SCMP_ACT_ERRNO\n",
		"[Service]\nSystemCallFilter=~mount:EPERM\n",
	} {
		p, f, err := formats.Parse("in", []byte(in), "")
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(p.Rules) != 1 || p.Rules[0].Names[0] != "mount" || p.Rules[0].Action.Data != 1 {
			t.Errorf("%s: %+v", f, p.Rules)
		}
	}
}
