package record_test

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// TestAdditionString adds real recordings to real profiles and checks
// the line that says what AddTo did for each call.
func TestAdditionString(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	kill := profile.Action{Kind: profile.ActKillProcess}
	eperm := profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
	for _, tc := range []struct {
		name  string
		p     *profile.Profile
		calls []string
		want  []string
		not   int
	}{
		{
			name:  "the default denies it",
			p:     &profile.Profile{Default: eperm, Arches: []arch.Arch{arch.X86_64}, Rules: []profile.Rule{{Names: []string{"read"}, Action: allow}}},
			calls: []string{"read", "uname"},
			want:  []string{"added x86_64 uname"},
		},
		{
			name: "taken out of a rule, a guard stays",
			p: &profile.Profile{Default: allow, Arches: []arch.Arch{arch.X86_64}, Rules: []profile.Rule{
				{Names: []string{"uname", "ptrace"}, Action: eperm},
				{Names: []string{"uname"}, Action: kill, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}},
			}},
			calls: []string{"uname"},
			want:  []string{"added x86_64 uname, taken out of denying rule 1, still denied where the conditions of rule 2 hold"},
		},
		{
			name:  "wider than a conditional allow",
			p:     &profile.Profile{Default: eperm, Arches: []arch.Arch{arch.X86_64}, Rules: []profile.Rule{{Names: []string{"personality"}, Action: allow, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}}}},
			calls: []string{"personality"},
			want:  []string{"added x86_64 personality, without conditions: wider than rule 1 allowed it (the record has no argument values)"},
		},
		{
			name:  "a guard refuses it",
			p:     &profile.Profile{Default: eperm, Arches: []arch.Arch{arch.X86_64}, Rules: []profile.Rule{{Names: []string{"personality"}, Action: kill, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 8}}}}},
			calls: []string{"personality"},
			want:  []string{"not added x86_64 personality: rule 1 denies it under conditions, which an allow without conditions would override, and the record has no argument values to tell which calls the program made (record with --args, or edit by hand)"},
			not:   1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := record.New(arch.X86_64)
			for _, c := range tc.calls {
				r.AddName(arch.X86_64, c)
			}
			_, adds, err := r.AddTo(tc.p, arch.X86_64)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range adds {
				got = append(got, a.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("got  %q\nwant %q", got[i], tc.want[i])
				}
			}
			if n := record.NotAdded(adds); n != tc.not {
				t.Errorf("NotAdded = %d, want %d", n, tc.not)
			}
		})
	}
}

// TestAdditionStringBeyond: an edit that lets other calls run names them.
func TestAdditionStringBeyond(t *testing.T) {
	a := record.Addition{Arch: arch.X86, Name: "socket", Added: true, Undenied: []int{0},
		Beyond: []record.Beyond{{Arch: arch.X86_64, Name: "socket"}, {Arch: arch.X86, Name: "socketcall", Some: true, Args: [6]uint64{1}}}}
	want := "added x86 socket, taken out of denying rule 1; wider than the call logged: it also lets run x86_64 socket, x86 socketcall(socket)"
	if got := a.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
