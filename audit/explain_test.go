package audit_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
)

func TestExplain(t *testing.T) {
	evs, _, err := audit.ReadFile("testdata/dmesg.txt")
	if err != nil {
		t.Fatal(err)
	}
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}}
	ex, err := audit.Explain(evs, p, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	groups := audit.GroupEvents(evs)
	if len(ex) != len(groups) || len(ex) == 0 {
		t.Fatalf("%d explanations of %d groups", len(ex), len(groups))
	}
	for i, x := range ex {
		if x.Count != groups[i].Count || x.Decision == nil || x.First == "" {
			t.Errorf("explanation %d: %+v", i, x)
		}
	}
	var b strings.Builder
	audit.WriteExplanations(&b, ex, len(evs), "dmesg.txt")
	out := b.String()
	if !strings.HasPrefix(out, strconv.Itoa(len(evs))+" seccomp record") || strings.Count(out, "\n  profile: ") != len(ex) {
		t.Errorf("output:\n%s", out)
	}
	// A name a program chose is quoted, never sent to the terminal raw.
	evs[0].Comm = "evil\x1b[2J"
	ex, _ = audit.Explain(evs[:1], nil, arch.X86_64)
	b.Reset()
	audit.WriteExplanations(&b, ex, 1, "x")
	if strings.Contains(b.String(), "\x1b") || !strings.Contains(b.String(), `\x1b[2J`) {
		t.Errorf("escape sent raw:\n%q", b.String())
	}
	b.Reset()
	audit.WriteExplanations(&b, nil, 0, "x")
	if b.Len() != 0 {
		t.Errorf("no records: %q", b.String())
	}
}
