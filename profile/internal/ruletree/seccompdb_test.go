package ruletree_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// TestLibseccompExponentialWork: libseccomp 2.5.4 adds the last of these
// setsockopt rules (random profile 183882343958885 of the overlapping-
// rules differential test, reduced to setsockopt) only after some 8
// million _db_tree_prune calls, and then builds its filter. The model
// does the same work (82 million of its steps) and must build the same
// tree, not call it a loop.
func TestLibseccompExponentialWork(t *testing.T) {
	data, err := os.ReadFile("testdata/libseccomp-exponential-prune.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := oci.Parse("libseccomp-exponential-prune.json", data)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := p.Table(arch.S390X, profile.TableOptions{})
	if err != nil {
		t.Fatalf("Table: %v", err)
	}
	nr, _ := arch.S390X.SyscallNumber("setsockopt")
	e, ok := tab.Lookup(nr)
	if !ok || !e.Conditional() {
		t.Fatalf("setsockopt: got %+v, want argument rules", e)
	}
}

// TestLibseccompLoopStillRefused: a rule set on which libseccomp 2.5.4
// walks a cyclic level forever (two TRAP rules for mlock2 on x86_64) is
// still refused as a loop.
func TestLibseccompLoopStillRefused(t *testing.T) {
	trap := profile.Action{Kind: profile.ActTrap}
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActAllow},
		Arches:  []arch.Arch{arch.X86_64},
		Rules: []profile.Rule{
			{Names: []string{"mlock2"}, Action: trap, Conds: []profile.Cond{{Arg: 5, Op: profile.OpGT, Value: 0}, {Arg: 1, Op: profile.OpGT, Value: 0x1ffffffff}}},
			{Names: []string{"mlock2"}, Action: trap, Conds: []profile.Cond{{Arg: 5, Op: profile.OpEQ, Value: 10}, {Arg: 1, Op: profile.OpGT, Value: 0x1ffffffff}}},
		},
	}
	_, err := p.Table(arch.X86_64, profile.TableOptions{})
	if !errors.Is(err, profile.ErrLibseccompLoop) {
		t.Fatalf("Table: got %v, want ErrLibseccompLoop", err)
	}
}

// hostile returns n ALLOW rules for personality on x86_64, each with an
// NE condition on every argument, values from r (64-bit when wide).
func hostile(n int, r *rand.Rand, wide bool) *profile.Profile {
	p := proftest.Hostile(r, n, []profile.Op{profile.OpNE}, wide, false)
	p.Arches = []arch.Arch{arch.X86_64}
	return p
}

// TestHostileRulesBounded: rules whose paths through libseccomp's tree
// are exponentially many are refused with ErrTooComplex once the work
// budget (MaxSteps) is spent, naming the rules, by Table (which lists them) and built, bounded, as a
// Decision by Table with Decisions.
func TestHostileRulesBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *profile.Profile
	}{
		{"80 rules of six 64-bit NE", hostile(80, rand.New(rand.NewPCG(1, 2)), true)},
		{"20 rules of six 32-bit NE", hostile(20, rand.New(rand.NewPCG(3, 4)), false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.Table(arch.X86_64, profile.TableOptions{})
			if !errors.Is(err, profile.ErrTooComplex) {
				t.Fatalf("Table: got %v, want ErrTooComplex", err)
			}
			if !strings.Contains(err.Error(), "personality (rules 1, 2, 3") {
				t.Errorf("Table: %v: want the system call and its rules named", err)
			}
		})
	}
}

// TestDecisionAgrees: the Decision of random rule sets (hostile ones
// included) decides every boundary input as Evaluate does.
func TestDecisionAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 60; i++ {
		p := hostile(1+r.IntN(6), r, i%2 == 0)
		// Mix in other operators and actions.
		ops := []profile.Op{profile.OpNE, profile.OpLT, profile.OpLE, profile.OpEQ, profile.OpGE, profile.OpGT, profile.OpMaskedEQ}
		for j := range p.Rules {
			for k := range p.Rules[j].Conds {
				c := &p.Rules[j].Conds[k]
				c.Op = ops[r.IntN(len(ops))]
				if c.Op == profile.OpMaskedEQ {
					c.ValueTwo = c.Value & r.Uint64()
				}
			}
			p.Rules[j].Conds = p.Rules[j].Conds[:1+r.IntN(len(p.Rules[j].Conds))]
		}
		for _, a := range []arch.Arch{arch.X86_64, arch.X86, arch.S390X} {
			q := *p
			q.Arches = []arch.Arch{a}
			tab, err := q.Table(a, profile.TableOptions{Decisions: true})
			if err != nil {
				continue // refused alike by Evaluate, checked elsewhere
			}
			nr, _ := a.SyscallNumber("personality")
			e, _ := tab.Lookup(nr)
			for _, d := range proftest.Probe(r, a, 200, &q) {
				if uint32(d.Nr) != nr || d.Arch != a.Audit() {
					continue
				}
				args := d.Args
				want, err := profile.Evaluate(&q, a, profile.Data{Nr: nr, Arch: a.Audit(), Args: args})
				if err != nil {
					t.Fatalf("Evaluate: %v", err)
				}
				if e.Decision == nil {
					continue
				}
				if got := e.Decision.Decide(args); got != want {
					t.Fatalf("profile %d on %s, args %#x: Decision %s, Evaluate %s\n%s", i, a, args, got, want, fmt.Sprint(q.Rules))
				}
			}
		}
	}
}
