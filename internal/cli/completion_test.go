package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCompleteProfiles asks the command tree what the shell offers (the
// hidden __complete command the completion scripts call) where a PROFILE
// goes: the built-in names, and files (directive 0, the default).
func TestCompleteProfiles(t *testing.T) {
	tests := []struct {
		args []string
		want bool // the built-in names are offered
	}{
		{[]string{"check", ""}, true},
		{[]string{"check", "--workload", "true", ""}, true},
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

// TestCompleteProfilesEveryCommand: every command whose usage line takes a
// PROFILE argument (not a flag's) completes the built-in names there, the
// commands added later too.
func TestCompleteProfilesEveryCommand(t *testing.T) {
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		toks := strings.Fields(c.Use)
		for i, tok := range toks {
			if !strings.Contains(tok, "PROFILE") || i > 0 && strings.HasPrefix(strings.TrimLeft(toks[i-1], "["), "-") {
				continue
			}
			n++
			if _, ok := profileArgs[c.CommandPath()]; !ok {
				t.Errorf("%s takes a PROFILE (%q) but does not complete the built-in names there (profileArgs)", c.CommandPath(), c.Use)
			}
			break
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(e))
	if n == 0 {
		t.Fatal("no usage line names a PROFILE argument")
	}
}
