package inspect_test

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// TestFindingsText lints a deny-list that allows ptrace and pins the
// text lint prints: each finding with its fix, then the count by
// severity, highest first; Worst is the highest severity.
func TestFindingsText(t *testing.T) {
	p, err := oci.Parse("p.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW"}, {"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := inspect.Lint(p, arch.X86_64, inspect.LintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) < 2 {
		t.Fatalf("Lint found %v, want default-allow and more", fs)
	}
	text := inspect.FindingsText(fs)
	var want string
	counts := map[inspect.Severity]int{}
	for _, f := range fs {
		want += f.Severity.String() + pad(f.Severity.String()) + " " + f.Check + ": " + f.Message + "\n       fix: " + f.Fix + "\n"
		counts[f.Severity]++
	}
	if text[:len(want)] != want {
		t.Errorf("FindingsText =\n%s\nwant it to begin\n%s", text, want)
	}
	worst := inspect.Worst(fs)
	if worst != inspect.High || counts[inspect.High] == 0 {
		t.Errorf("Worst = %v, counts %v", worst, counts)
	}
	if got := inspect.FindingsText(fs[:1]); got[len(got)-len("1 finding (1 "+fs[0].Severity.String()+")\n"):] != "1 finding (1 "+fs[0].Severity.String()+")\n" {
		t.Errorf("one finding:\n%s", got)
	}
	if inspect.FindingsText(nil) != "" || inspect.Worst(nil) != 0 {
		t.Error("no findings: want no text and no severity")
	}
}

func pad(s string) string { return "      "[:6-len(s)] }

func TestParseSeverity(t *testing.T) {
	for _, s := range []inspect.Severity{inspect.Low, inspect.Medium, inspect.High} {
		if got, err := inspect.ParseSeverity(s.String()); err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "none", "HIGH", "critical"} {
		if _, err := inspect.ParseSeverity(bad); err == nil {
			t.Errorf("ParseSeverity(%q) took it", bad)
		}
	}
}

// TestReasons lists the comments of a profile's rules, with their
// conditions, as explain prints them.
func TestReasons(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Rules: []profile.Rule{
		{Names: []string{"read", "write"}, Action: profile.Action{Kind: profile.ActAllow}, Comment: "seen 3 times"},
		{Names: []string{"close"}, Action: profile.Action{Kind: profile.ActAllow}},
		{Names: []string{"socket"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}, Comment: "reachable from main.dial"},
	}}
	rs := inspect.Reasons(p)
	if len(rs) != 2 || rs[1].When == "" {
		t.Fatalf("Reasons = %+v, want the two commented rules", rs)
	}
	want := "\nwhy (the rules' comments):\n" +
		"  ALLOW (2): read, write\n    because seen 3 times\n" +
		"  ALLOW if " + rs[1].When + " (1): socket\n    because reachable from main.dial\n"
	if got := inspect.ReasonsText(rs); got != want {
		t.Errorf("ReasonsText =\n%q\nwant\n%q", got, want)
	}
	if inspect.ReasonsText(nil) != "" {
		t.Error("no reasons: want no text")
	}
}
