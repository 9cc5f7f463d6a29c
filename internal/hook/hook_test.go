package hook

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hook string
		err  string // a part of the error; "" for none
	}{
		{"true", ""},
		{`logger -t seccomp "$SYSCAGE_COMM"`, ""},
		{"X=1 cat", ""},
		{"if true; then :; fi", ""},
		{"$PROG arg", ""}, // expanded by the shell: cannot be told
		{"if true; then", "not a valid shell command"},
		{"no-such-program-here arg", "no-such-program-here: no such program"},
		{dir + " arg", "is a directory"},
		{plain, "cannot be executed"},
	} {
		err := Check(tc.hook)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Check(%q) = %v, want %q", tc.hook, err, tc.err)
		}
	}
}

func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	err := Run(`read line; echo "$line $HOOK_TEST"; echo oops >&2`, []byte("event\n"), []string{"HOOK_TEST=set"}, &out, &errOut)
	if err != nil || out.String() != "event set\n" || errOut.String() != "oops\n" {
		t.Errorf("Run: %v, stdout %q, stderr %q", err, out.String(), errOut.String())
	}
	if err := Run("exit 3", nil, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("a failing hook: %v", err)
	}
}
