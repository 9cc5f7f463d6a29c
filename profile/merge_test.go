package profile

import (
	"errors"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
)

func allowRule(names ...string) Rule { return Rule{Names: names, Action: Action{Kind: ActAllow}} }

func TestMerge(t *testing.T) {
	eperm := Action{Kind: ActErrno, Data: EPERM}
	kill := Action{Kind: ActKillProcess}
	unixSocket := Rule{Names: []string{"socket"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpEQ, Value: 1}}}
	inetSocket := Rule{Names: []string{"socket"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpEQ, Value: 2}}}
	a := &Profile{Default: eperm, Arches: []arch.Arch{arch.X86_64, arch.X86}, Rules: []Rule{allowRule("read", "write"), unixSocket, {Names: []string{"ptrace"}, Action: kill}}}
	b := &Profile{Default: kill, Arches: []arch.Arch{arch.X86_64, arch.X86}, Rules: []Rule{allowRule("read", "openat", "ptrace"), inetSocket}}
	c := &Profile{Default: eperm, Arches: []arch.Arch{arch.X86}, Rules: []Rule{allowRule("socket")}}

	m, err := Merge(arch.X86_64, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Default != kill {
		t.Errorf("default %v, want the strictest, %v", m.Default, kill)
	}
	if len(m.Arches) != 2 {
		t.Errorf("arches %v, want x86_64 and x86", m.Arches)
	}
	for _, tc := range []struct {
		abi  arch.Arch
		name string
		args [6]uint64
		want Action
	}{
		{arch.X86_64, "read", [6]uint64{}, Action{Kind: ActAllow}},
		{arch.X86_64, "openat", [6]uint64{}, Action{Kind: ActAllow}},
		{arch.X86_64, "ptrace", [6]uint64{}, Action{Kind: ActAllow}}, // b allows what a killed
		{arch.X86_64, "socket", [6]uint64{1}, Action{Kind: ActAllow}},
		{arch.X86_64, "socket", [6]uint64{2}, Action{Kind: ActAllow}},
		{arch.X86_64, "socket", [6]uint64{10}, kill},
		{arch.X86_64, "mount", [6]uint64{}, kill},
		{arch.X86, "write", [6]uint64{}, Action{Kind: ActAllow}},
	} {
		nr, _ := tc.abi.SyscallNumber(tc.name)
		got, err := Evaluate(m, arch.X86_64, Data{Nr: nr, Arch: tc.abi.Audit(), Args: tc.args})
		if err != nil || got != tc.want {
			t.Errorf("%s %s%v: %v, %v; want %v", tc.abi, tc.name, tc.args[:1], got, err, tc.want)
		}
	}
	for i, p := range []*Profile{a, b} {
		if gaps, err := Covers(m, p, arch.X86_64); err != nil || len(gaps) > 0 {
			t.Errorf("merged does not cover profile %d: %v %v", i+1, gaps, err)
		}
	}

	// An unconditional allow replaces conditional ones.
	m, err = Merge(arch.X86_64, a, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Rules {
		if len(r.Conds) > 0 {
			t.Errorf("conditional rule %v kept beside an unconditional socket", r)
		}
	}
}

func TestCovers(t *testing.T) {
	eperm := Action{Kind: ActErrno, Data: EPERM}
	a := &Profile{Default: eperm, Rules: []Rule{allowRule("read", "write")}}
	b := &Profile{Default: eperm, Rules: []Rule{allowRule("read"), {Names: []string{"socket"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpLE, Value: 10}}}}}
	c := &Profile{Default: eperm, Rules: []Rule{{Names: []string{"socket"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpLT, Value: 10}}}}}
	if gaps, err := Covers(a, b, arch.X86_64); err != nil || len(gaps) != 1 || gaps[0].Name != "socket" {
		t.Errorf("Covers(a, b) = %v, %v; want socket", gaps, err)
	}
	if gaps, err := Covers(b, a, arch.X86_64); err != nil || len(gaps) != 1 || gaps[0].Name != "write" {
		t.Errorf("Covers(b, a) = %v, %v; want write", gaps, err)
	}
	// socket(arg0 <= 10) covers socket(arg0 < 10), not the reverse: 10.
	if gaps, _ := Covers(b, c, arch.X86_64); len(gaps) != 0 {
		t.Errorf("Covers(b, c) = %v, want none", gaps)
	}
	gaps, _ := Covers(c, b, arch.X86_64)
	if len(gaps) != 2 || gaps[0].Name != "read" || gaps[1].Args[0] != 10 || !strings.Contains(gaps[1].String(), "socket with arguments") {
		t.Errorf("Covers(c, b) = %v, want read, and socket with arg0 10", gaps)
	}
	// An architecture the profile does not cover.
	d := &Profile{Default: eperm, Arches: []arch.Arch{arch.X86}, Rules: []Rule{allowRule("read")}}
	if gaps, _ := Covers(a, d, arch.X86_64); len(gaps) == 0 || gaps[0].Arch != arch.X86 {
		t.Errorf("Covers(a, d) = %v, want x86 uncovered", gaps)
	}
}

// TestMergeDenyException is the case of a deny rule inside an allow rule
// of one system call: merging must keep the exception, with itself and
// with a profile that does not name the call, and Covers must see that a
// profile without the exception allows more.
func TestMergeDenyException(t *testing.T) {
	eperm := Action{Kind: ActErrno, Data: EPERM}
	noAF := Action{Kind: ActErrno, Data: 97}
	p := &Profile{Default: eperm, Arches: []arch.Arch{arch.X86_64}, Rules: []Rule{
		{Names: []string{"socket"}, Action: noAF, Conds: []Cond{{Arg: 0, Op: OpEQ, Value: 40}}},
		{Names: []string{"socket"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpGE, Value: 1}}},
	}}
	other := &Profile{Default: eperm, Arches: []arch.Arch{arch.X86_64}, Rules: []Rule{allowRule("read")}}
	nr, _ := arch.X86_64.SyscallNumber("socket")
	for _, in := range [][]*Profile{{p, p}, {p, other}, {other, p}} {
		// Of two ERRNO actions the merge takes the earlier profile's.
		deny := in[0].Default
		if in[0] == p {
			deny = noAF
		}
		m, err := Merge(arch.X86_64, in...)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			arg0 uint64
			want Action
		}{{40, deny}, {0, eperm}, {1, Action{Kind: ActAllow}}, {39, Action{Kind: ActAllow}}, {41, Action{Kind: ActAllow}}, {1 << 40, Action{Kind: ActAllow}}} {
			got, err := Evaluate(m, arch.X86_64, Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: [6]uint64{tc.arg0}})
			if err != nil || got != tc.want {
				t.Errorf("socket(%#x) under the merge: %v, %v; want %v\n%+v", tc.arg0, got, err, tc.want, m.Rules)
			}
		}
	}
	// The allow rule alone allows socket(40), which p does not.
	wide := &Profile{Default: eperm, Arches: []arch.Arch{arch.X86_64}, Rules: p.Rules[1:]}
	gaps, err := Covers(p, wide, arch.X86_64)
	if err != nil || len(gaps) != 1 || gaps[0].Args[0] != 40 {
		t.Errorf("Covers(p, p without its exception) = %v, %v; want socket(40)", gaps, err)
	}
}

// TestCoversExact: Covers finds a gap that only one combination of
// arguments among many shows, and says when it cannot decide.
func TestCoversExact(t *testing.T) {
	eperm := Action{Kind: ActErrno, Data: EPERM}
	p := &Profile{Default: eperm}
	for arg := uint8(1); arg <= 5; arg++ {
		for v := uint64(1); v <= 4; v++ {
			p.Rules = append(p.Rules, Rule{Names: []string{"read"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: arg, Op: OpEQ, Value: v}}})
		}
	}
	other := &Profile{Default: eperm, Rules: []Rule{{Names: []string{"read"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpEQ, Value: ^uint64(0)}}}}}
	gaps, err := Covers(p, other, arch.X86_64)
	if err != nil || len(gaps) != 1 || gaps[0].Args[0] != ^uint64(0) || gaps[0].Action != eperm {
		t.Errorf("Covers = %v, %v; want read(-1, ...)", gaps, err)
	}
	// A mask the boundary values of a condition do not reach.
	even := &Profile{Default: eperm, Rules: []Rule{{Names: []string{"read"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpMaskedEQ, Value: 0x101, ValueTwo: 0}}}}}
	four := &Profile{Default: eperm, Rules: []Rule{{Names: []string{"read"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpMaskedEQ, Value: 0x103, ValueTwo: 0}}}}}
	if gaps, err := Covers(four, even, arch.X86_64); err != nil || len(gaps) != 1 || gaps[0].Args[0]&0x103 != 2 {
		t.Errorf("Covers(four, even) = %v, %v; want an argument with bit 1 set", gaps, err)
	}
	if gaps, err := Covers(even, four, arch.X86_64); err != nil || len(gaps) != 0 {
		t.Errorf("Covers(even, four) = %v, %v; want none", gaps, err)
	}
	// Too many combinations: an error, never "no gap".
	big := &Profile{Default: eperm}
	for arg := uint8(0); arg <= 5; arg++ {
		for v := uint64(10); v <= 80; v += 10 {
			big.Rules = append(big.Rules, Rule{Names: []string{"read"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: arg, Op: OpEQ, Value: v}}})
		}
	}
	if _, err := Covers(p, big, arch.X86_64); !errors.Is(err, ErrUndecided) {
		t.Errorf("Covers with 17^6 combinations: %v, want ErrUndecided", err)
	}
}
