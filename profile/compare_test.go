package profile_test

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
)

// TestOutcomes: every verdict a call can get, exactly: a socket rule
// reaches socketcall(2) on x86 for one sub-call only, a guard for the
// values it matches.
func TestOutcomes(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
		{"names": ["socket"], "action": "SCMP_ACT_KILL_PROCESS"},
		{"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
		{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_GT"}]}]}`)
	kill := profile.Action{Kind: profile.ActKillProcess}
	def := profile.Verdict{Action: p.Default, Rule: profile.DecidedByDefault}
	for _, tc := range []struct {
		a      arch.Arch
		name   string
		within []profile.Cond
		want   []profile.Verdict
	}{
		{arch.X86, "socketcall", nil, []profile.Verdict{def, {Action: kill, Rule: 0}}},
		{arch.X86, "socketcall", []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 3}}, []profile.Verdict{def}},
		{arch.X86, "socket", nil, []profile.Verdict{{Action: kill, Rule: 0}}},
		{arch.X86_64, "personality", nil, []profile.Verdict{def, {Action: kill, Rule: 1}, {Action: profile.Action{Kind: profile.ActAllow}, Rule: 2}}},
		{arch.X86_64, "personality", []profile.Cond{{Arg: 0, Op: profile.OpLT, Value: 16}}, []profile.Verdict{def, {Action: kill, Rule: 1}}},
	} {
		outs, err := profile.Outcomes(p, arch.X86_64, tc.a, proftest.Nr(t, tc.a, tc.name), tc.within)
		if err != nil {
			t.Fatal(err)
		}
		got := map[profile.Verdict]bool{}
		for _, o := range outs {
			got[o.Verdict] = true
			v, err := profile.Explain(p, arch.X86_64, profile.Data{Nr: proftest.Nr(t, tc.a, tc.name), Arch: tc.a.Audit(), Args: o.Args})
			if err != nil || v != o.Verdict {
				t.Errorf("%s %s: the example %#x of %+v gets %+v (%v)", tc.a, tc.name, o.Args, o.Verdict, v, err)
			}
		}
		if len(got) != len(tc.want) || len(outs) != len(tc.want) {
			t.Errorf("%s %s within %v: %+v, want %+v", tc.a, tc.name, tc.within, outs, tc.want)
		}
		for _, w := range tc.want {
			if !got[w] {
				t.Errorf("%s %s within %v: no %+v in %+v", tc.a, tc.name, tc.within, w, outs)
			}
		}
	}
}

// TestCompare: the calls and argument classes an edit changes, and
// none where the profiles decide alike.
func TestCompare(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
		{"names": ["socket", "uname"], "action": "SCMP_ACT_KILL_PROCESS"},
		{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`)
	q := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
		{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"},
		{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`)
	for _, a := range []arch.Arch{arch.X86_64, arch.X86} {
		same, err := profile.Compare(p, p, arch.X86_64, a, nil)
		if err != nil || len(same) != 0 {
			t.Errorf("%s: a profile and itself: %+v (%v)", a, same, err)
		}
	}
	d, err := profile.Compare(p, q, arch.X86_64, arch.X86, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 2 || d[0].Name != "socketcall" || d[0].All || d[1].Name != "socket" || !d[1].All {
		t.Fatalf("x86: %+v, want socketcall for some arguments and socket for all", d)
	}
	if ch := d[0].Changes; len(ch) != 1 || ch[0].Args[0] != 1 || ch[0].Before.Rule != 0 || ch[0].After.Rule != profile.DecidedByDefault {
		t.Errorf("x86 socketcall: %+v, want socketcall(1) from rule 1 to the default", ch)
	}
}
