package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

func TestExplanationText(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Rules: []profile.Rule{
			{Names: []string{"read", "write"}, Action: allow},
			{Names: []string{"personality"}, Action: allow, Conds: []profile.Cond{{Arg: 0, Op: profile.OpMaskedEQ, Value: 0xff00, ValueTwo: 0}}},
			{Names: []string{"no_such_call"}, Action: allow},
		},
	}
	exs, err := Explain(p, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	txt := exs[0].Text(true)
	for _, want := range []string{
		"x86_64 (native):\n",
		"  ALLOW (2): read, write\n",
		"  ALLOW if arg0 & 0xff00 == 0x0 (1): personality\n",
		"  ERRNO(1) otherwise (1): personality\n",
		"  names x86_64 lacks (skipped): no_such_call\n",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("no %q in\n%s", want, txt)
		}
	}
	// Written as they are when the encoder escapes no HTML.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exs[0]); err != nil {
		t.Fatal(err)
	}
	if js := b.String(); !strings.Contains(js, `{"action":"ALLOW","when":"arg0 & 0xff00 == 0x0","syscalls":["personality"]}`) {
		t.Errorf("JSON: %s", js)
	}
}

// TestExplainText prints explanations of two ABIs: the host's marked
// native, a blank line between, and what every other ABI gets only when
// asked.
func TestExplainText(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86},
		Rules: []profile.Rule{{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	exs, err := Explain(p, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 2 {
		t.Fatalf("Explain covers %d ABIs, want 2", len(exs))
	}
	other := "\nevery other architecture: " + profile.DefaultBadArch.String() + "\n"
	want := exs[0].Text(true) + "\n" + exs[1].Text(false)
	if got := ExplainText(exs, arch.X86_64, true); got != want+other {
		t.Errorf("ExplainText =\n%s\nwant\n%s", got, want+other)
	}
	if got := ExplainText(exs[1:], arch.X86_64, false); got != exs[1].Text(false) || strings.Contains(got, "(native)") {
		t.Errorf("ExplainText of x86 alone =\n%s", got)
	}

	// ExplainOn gives one ABI's explanation, or says what an ABI the
	// profile does not cover gets.
	for _, ex := range exs {
		got, err := ExplainOn(p, arch.X86_64, ex.Arch)
		if err != nil || got.Text(false) != ex.Text(false) {
			t.Errorf("ExplainOn(%s) = %+v, %v", ex.Arch, got, err)
		}
	}
	_, err = ExplainOn(p, arch.X86_64, arch.AARCH64)
	if !errors.Is(err, ErrNotCovered) || err.Error() != "does not cover aarch64 on x86_64 kernels: every aarch64 system call gets "+profile.DefaultBadArch.String() {
		t.Errorf("ExplainOn(aarch64): %v", err)
	}
}

func TestWrapNames(t *testing.T) {
	var names []string
	for range 30 {
		names = append(names, "abcdefgh")
	}
	for _, l := range strings.Split(wrapNames(names), "\n") {
		if len(l) > 100 {
			t.Errorf("a line of %d columns: %s", len(l), l)
		}
	}
	if got := wrapNames([]string{"a", "b"}); got != "a, b" {
		t.Errorf("wrapNames = %q", got)
	}
}

func TestFindingJSON(t *testing.T) {
	js, _ := json.Marshal(Finding{Severity: High, Check: "default-allow", Message: "m", Fix: "f", Rule: -1})
	if string(js) != `{"severity":"high","check":"default-allow","message":"m","fix":"f"}` {
		t.Errorf("JSON: %s", js)
	}
	js, _ = json.Marshal(Finding{Severity: Low, Check: "x", Rule: 2, Names: []string{"a"}})
	if !strings.Contains(string(js), `"rule":3,"syscalls":["a"]`) {
		t.Errorf("JSON: %s", js)
	}
}

func TestOrigins(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	raw := &profile.Profile{Rules: []profile.Rule{
		{Names: []string{"a"}, Action: allow},
		{Names: []string{"b"}, Action: allow, Includes: profile.Filter{Caps: []string{"CAP_SYS_ADMIN"}}},
		{Names: []string{"c"}, Action: allow},
	}}
	resolved := &profile.Profile{Rules: []profile.Rule{{Names: []string{"a"}, Action: allow}, {Names: []string{"c"}, Action: allow}, {Names: []string{"z"}, Action: allow}}}
	if got := Origins(raw, resolved); len(got) != 3 || got[0] != 0 || got[1] != 2 || got[2] != -1 {
		t.Errorf("Origins = %v, want [0 2 -1]", got)
	}
}

// TestExplainWhy: each group carries the comments of the rules that give
// its calls their action, for conditional rules too, and --json has them.
func TestExplainWhy(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Rules: []profile.Rule{
			{Names: []string{"read", "write"}, Action: allow, Comment: "seen in the recording"},
			{Names: []string{"close"}, Action: allow}, // no comment: in no reason
			{Names: []string{"writev"}, Action: allow, Comment: "sibling of write"},
			{Names: []string{"socket"}, Action: allow, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}, Comment: "AF_UNIX only"},
			{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActKillProcess}, Comment: "never: shadowed by rule 1"},
		},
	}
	exs, err := Explain(p, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(exs[0])
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Actions []struct {
			Action, When string
			Why          []struct {
				Syscalls []string
				Because  string
			}
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ALLOW/":             `[{[read write] seen in the recording} {[writev] sibling of write}]`,
		"ALLOW/arg0 == 0x1":  `[{[socket] AF_UNIX only}]`,
		"ERRNO(1)/otherwise": `[]`,
	}
	for _, g := range got.Actions {
		w, ok := want[g.Action+"/"+g.When]
		if !ok {
			t.Errorf("unexpected group %s %q", g.Action, g.When)
			continue
		}
		if s := fmt.Sprint(g.Why); s != w {
			t.Errorf("%s %q: why %s, want %s", g.Action, g.When, s, w)
		}
		delete(want, g.Action+"/"+g.When)
	}
	if len(want) > 0 {
		t.Errorf("groups missing: %v", want)
	}
}
