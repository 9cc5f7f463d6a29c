package record_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/record"
)

// TestSplitCommand splits command lines as sh does: the words sh hands
// printf are the words SplitCommand returns.
func TestSplitCommand(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, line := range []string{
		`ls -l /tmp`,
		"  a\tb  c  ",
		`sort -k 2 'big file.txt'`,
		`echo "a \"quoted\" word" x\ y`,
		`a''b ""c`,
		`'' x`,
		`grep 'it'\''s'`,
		`a\\b "c\\d"`,
		`"c\d" "e\$f" "g\\h" "i\"j" "k\` + "`" + `l" m\n`,
		"a\\\nb \"c\\\nd\" 'e\\\nf'",
		"a \\\n b \\\n",
	} {
		got, err := record.SplitCommand(line)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		// The lines hold nothing sh would expand.
		out, err := exec.Command(sh, "-c", "printf '%s\\0' "+line).Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		want := strings.Split(string(out), "\x00")
		want = want[:len(want)-1]
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %q, sh says %q", line, got, want)
		}
	}
	for _, bad := range []string{`'open`, `"open`, `end\`} {
		if w, err := record.SplitCommand(bad); err == nil {
			t.Errorf("%q: %q, want an error", bad, w)
		}
	}
}
