package spo_test

import (
	"strings"
	"testing"

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
