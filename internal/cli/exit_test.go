package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"resolve", "-a", "x86_64", "read"}, ExitOK},
		{[]string{"resolve", "-a", "x86_64", "nosuchcall"}, ExitFinding},
		{[]string{"resolve", "-a", "vax", "read"}, ExitUsage},
		{[]string{"resolve"}, ExitUsage},
		{[]string{"resolve", "--no-such-flag"}, ExitUsage},
		{[]string{"no-such-command"}, ExitUsage},
		{[]string{"--version"}, ExitOK},
		{[]string{"record"}, ExitUsage},
		{[]string{"record", "--", "/nonexistent/program"}, ExitNotFound},
		{[]string{"record", "--", "/"}, ExitNoExec},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		got := Main(tt.args, strings.NewReader(""), &out, &errb)
		if got != tt.code {
			t.Errorf("syscage %s: exit %d, want %d (stderr %q)", strings.Join(tt.args, " "), got, tt.code, errb.String())
		}
	}
}
