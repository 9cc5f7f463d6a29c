package record

import (
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// TestAddToKeepsDenies: adding a recording never removes or overrides a
// deny that did not decide the recorded call: conditional guards stay in
// force, other names of an edited rule stay denied, and an allow wider
// than what the profile allowed is reported.
func TestAddToKeepsDenies(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	kill := profile.Action{Kind: profile.ActKillProcess}
	eperm := profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
	guard := profile.Rule{Names: []string{"personality"}, Action: kill, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 8}}}
	type check struct {
		name string
		args [6]uint64
		want profile.ActionKind
	}
	for _, tc := range []struct {
		name   string
		p      *profile.Profile
		calls  []string
		values bool // record personality with argument 0x200
		add    Addition
		checks []check
	}{
		{
			name:  "default deny: a guard is never overridden",
			p:     &profile.Profile{Default: eperm, Rules: []profile.Rule{guard, {Names: []string{"read"}, Action: allow}}},
			calls: []string{"personality"},
			add:   Addition{Name: "personality", Guards: []int{0}},
			checks: []check{
				{"personality", [6]uint64{8}, profile.ActKillProcess},
				{"personality", [6]uint64{0}, profile.ActErrno},
			},
		},
		{
			name:   "default deny: with argument values the allow is conditional and the guard stays",
			p:      &profile.Profile{Default: eperm, Rules: []profile.Rule{guard}},
			calls:  []string{"personality"},
			values: true,
			add:    Addition{Name: "personality", Added: true},
			checks: []check{
				{"personality", [6]uint64{8}, profile.ActKillProcess},
				{"personality", [6]uint64{0x200}, profile.ActAllow},
				{"personality", [6]uint64{0}, profile.ActErrno},
			},
		},
		{
			name: "default allow: only the deciding rule loses the name",
			p: &profile.Profile{Default: allow, Rules: []profile.Rule{
				{Names: []string{"uname", "ptrace"}, Action: eperm},
				{Names: []string{"uname"}, Action: kill, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}},
			}},
			calls: []string{"uname"},
			add:   Addition{Name: "uname", Undenied: []int{0}, Guards: []int{1}, Added: true},
			checks: []check{
				{"uname", [6]uint64{0}, profile.ActAllow},
				{"uname", [6]uint64{1}, profile.ActKillProcess},
				{"ptrace", [6]uint64{}, profile.ActErrno},
			},
		},
		{
			name:  "default deny: an allow wider than the profile's conditions is reported",
			p:     &profile.Profile{Default: eperm, Rules: []profile.Rule{{Names: []string{"socket"}, Action: allow, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}}}},
			calls: []string{"socket"},
			add:   Addition{Name: "socket", Wider: []int{0}, Added: true},
			checks: []check{
				{"socket", [6]uint64{2}, profile.ActAllow},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(arch.X86_64)
			for _, n := range tc.calls {
				nr, _ := arch.X86_64.SyscallNumber(n)
				if tc.values {
					r.Add(arch.X86_64, nr, &[6]uint64{0x200}, true)
				} else {
					r.Add(arch.X86_64, nr, nil, false)
				}
			}
			q, adds, err := r.AddTo(tc.p, arch.X86_64)
			if err != nil {
				t.Fatal(err)
			}
			tc.add.Arch = arch.X86_64
			if len(adds) != 1 || !equalAddition(adds[0], tc.add) {
				t.Errorf("additions %+v, want %+v", adds, tc.add)
			}
			for _, c := range tc.checks {
				nr, _ := arch.X86_64.SyscallNumber(c.name)
				got, err := profile.Evaluate(q, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: c.args})
				if err != nil {
					t.Fatal(err)
				}
				if got.Kind != c.want {
					t.Errorf("%s(%#x) -> %v, want %v\nprofile: %+v", c.name, c.args[0], got, c.want, q.Rules)
				}
			}
		})
	}
}

func equalAddition(a, b Addition) bool {
	return a.Arch == b.Arch && a.Name == b.Name && a.Added == b.Added &&
		slices.Equal(a.Undenied, b.Undenied) && slices.Equal(a.Wider, b.Wider) && slices.Equal(a.Guards, b.Guards)
}
