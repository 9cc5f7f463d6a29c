package spo_test

import (
	"strings"
	"testing"

	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/spo"
)

func TestNameFromFile(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"app.json", "app"},
		{"/etc/seccomp/My_App.v2.yaml", "my-app-v2"},
		{"--x--.json", "x"},
		{"", "syscage-profile"},
		{"-", "syscage-profile"},
		{"___.json", "syscage-profile"},
		{strings.Repeat("a", 62) + "-b.json", strings.Repeat("a", 62)},
	} {
		if got := spo.NameFromFile(tc.in); got != tc.want {
			t.Errorf("NameFromFile(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatNames: Format refuses a name or namespace Kubernetes would
// refuse, and takes the longest it takes.
func TestFormatNames(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}}
	long := strings.Repeat("a", 253)
	for _, c := range []struct {
		name, ns string
		ok       bool
	}{
		{"my-app", "web", true},
		{"my.app.v2", "", true},
		{long, "", true},
		{long + "a", "", false},
		{"My_App", "", false},
		{"-app", "", false},
		{"app-", "", false},
		{"app", "we.b", false},
		{"app", strings.Repeat("n", 64), false},
	} {
		_, _, err := spo.Format(p, spo.Options{Meta: spo.Meta{Name: c.name, Namespace: c.ns}})
		if (err == nil) != c.ok {
			t.Errorf("name %q namespace %q: %v, want ok=%v", c.name, c.ns, err, c.ok)
		}
	}
}
