package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestCompleteProfiles asks the command tree what the shell offers (the
// hidden __complete command the completion scripts call) where a PROFILE
// goes: the built-in names, and files (directive 0, the default).
func TestCompleteProfiles(t *testing.T) {
	tests := []struct {
		args []string
		want bool // the built-in names are offered
	}{
		{[]string{"compile", ""}, true},
		{[]string{"convert", "--to", "oci", ""}, true},
		{[]string{"diff", "strict", ""}, true},
		{[]string{"emu", ""}, true},
		{[]string{"emu", "strict", ""}, false}, // a SYSCALL goes there
		{[]string{"explain", ""}, true},
		{[]string{"lint", ""}, true},
		{[]string{"merge", "a.json", "b.json", ""}, true},
		{[]string{"verify", "--pid", "1", ""}, true},
		{[]string{"run", "-p", ""}, true},
		{[]string{"run", "--profile", ""}, true},
		{[]string{"why", "--profile", ""}, true},
		{[]string{"record", "--into", ""}, true},
		{[]string{"import", "strace", "--into", ""}, true},
		{[]string{"profile", "show", ""}, true},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := Main(append([]string{"__complete"}, tc.args...), strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Errorf("%q: exit %d: %s", tc.args, code, errb.String())
			continue
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		got := strings.Contains(out.String(), "docker-default\n") && strings.Contains(out.String(), "unconfined\n")
		if got != tc.want {
			t.Errorf("%q: completions %q, want built-in names %v", tc.args, lines, tc.want)
		}
	}
}
