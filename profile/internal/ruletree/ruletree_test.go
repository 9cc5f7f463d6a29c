package ruletree_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syscage/syscage/profile/internal/ruletree"
)

const (
	allow ruletree.Action = iota + 1
	trap
	errno
	def
)

// decide returns what db decides for args, def when no rule does.
func decide(t *testing.T, db *ruletree.DB, args [6]uint64) (ruletree.Action, int) {
	t.Helper()
	a, o, ok := db.Eval(&args)
	if !ok {
		return def, ruletree.DecidedByDefault
	}
	return a, o
}

func TestAddEval(t *testing.T) {
	eq := func(arg uint8, v uint64) ruletree.Cond { return ruletree.Cond{Arg: arg, Op: ruletree.OpEQ, Value: v} }
	for _, tc := range []struct {
		name  string
		rules [][]ruletree.Cond // rule i has action allow+i%3, origin i
		wide  bool
		args  [6]uint64
		want  ruletree.Action
		orig  int
	}{
		{"no rule", nil, true, [6]uint64{}, def, ruletree.DecidedByDefault},
		{"unconditional", [][]ruletree.Cond{nil}, true, [6]uint64{}, allow, 0},
		{"first unconditional wins", [][]ruletree.Cond{nil, nil}, true, [6]uint64{}, allow, 0},
		{"unconditional replaces conditional", [][]ruletree.Cond{{eq(0, 1)}, nil}, true, [6]uint64{1}, trap, 1},
		{"conditional after unconditional dropped", [][]ruletree.Cond{nil, {eq(0, 1)}}, true, [6]uint64{1}, allow, 0},
		{"condition holds", [][]ruletree.Cond{{eq(0, 1)}}, true, [6]uint64{1}, allow, 0},
		{"condition fails", [][]ruletree.Cond{{eq(0, 1)}}, true, [6]uint64{2}, def, ruletree.DecidedByDefault},
		{"high word compared on 64-bit ABIs", [][]ruletree.Cond{{eq(0, 1)}}, true, [6]uint64{1 | 1<<32}, def, ruletree.DecidedByDefault},
		{"low word only on 32-bit ABIs", [][]ruletree.Cond{{eq(0, 1|1<<32)}}, false, [6]uint64{1}, allow, 0},
		{"zero mask is no condition", [][]ruletree.Cond{{{Arg: 2, Op: ruletree.OpMaskedEQ}}}, true, [6]uint64{0, 0, 7}, allow, 0},
		{"two arguments", [][]ruletree.Cond{{eq(0, 1), {Arg: 3, Op: ruletree.OpGT, Value: 9}}}, true, [6]uint64{1, 0, 0, 10}, allow, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var db ruletree.DB
			for i, conds := range tc.rules {
				if err := db.Add(allow+ruletree.Action(i%3), i, conds, tc.wide); err != nil {
					t.Fatalf("rule %d: %v", i, err)
				}
			}
			if err := db.Check(); err != nil {
				t.Fatal(err)
			}
			if a, o := decide(t, &db, tc.args); a != tc.want || o != tc.orig {
				t.Errorf("Eval(%#x) = %d from %d, want %d from %d", tc.args, a, o, tc.want, tc.orig)
			}
		})
	}
}

// TestRefusals: libseccomp refuses a rule whose comparisons coincide
// with an earlier one's with another action (EEXIST), and loops forever
// on some rule sets, which the model refuses.
func TestRefusals(t *testing.T) {
	var db ruletree.DB
	c := []ruletree.Cond{{Arg: 1, Op: ruletree.OpEQ, Value: 5}}
	if err := db.Add(allow, 0, c, true); err != nil {
		t.Fatal(err)
	}
	if err := db.Add(trap, 1, c, true); !errors.Is(err, ruletree.ErrExist) {
		t.Errorf("same comparisons, another action: %v, want ErrExist", err)
	}

	// Two TRAP rules of mlock2 on which libseccomp 2.5.4 walks a cyclic
	// level forever.
	var loop ruletree.DB
	err := loop.Add(trap, 0, []ruletree.Cond{{Arg: 5, Op: ruletree.OpGT, Value: 0}, {Arg: 1, Op: ruletree.OpGT, Value: 0x1ffffffff}}, true)
	if err == nil {
		err = loop.Add(trap, 1, []ruletree.Cond{{Arg: 5, Op: ruletree.OpEQ, Value: 10}, {Arg: 1, Op: ruletree.OpGT, Value: 0x1ffffffff}}, true)
	}
	if err == nil {
		err = loop.Check()
	}
	if !errors.Is(err, ruletree.ErrLibseccompLoop) {
		t.Errorf("cyclic level: %v, want ErrLibseccompLoop", err)
	}
}

// randomConds returns at most one random condition per argument, with
// values near a few pivots so that rules overlap.
func randomConds(r *rand.Rand) []ruletree.Cond {
	pivots := []uint64{0, 1, 2, 0xffffffff, 1 << 32, 1<<32 | 1, ^uint64(0)}
	var out []ruletree.Cond
	for arg := uint8(0); arg <= 2; arg++ {
		if r.IntN(2) == 0 {
			continue
		}
		c := ruletree.Cond{Arg: arg, Op: ruletree.Op(1 + r.IntN(7)), Value: pivots[r.IntN(len(pivots))]}
		if c.Op == ruletree.OpMaskedEQ {
			c.ValueTwo = pivots[r.IntN(len(pivots))]
		}
		out = append(out, c)
	}
	return out
}

// TestEntryAgrees: the rules and the Decision of Entry decide every
// argument vector around the compared values as Eval does.
func TestEntryAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []uint64{0, 1, 2, 3, 0xfffffffe, 0xffffffff, 1 << 32, 1<<32 | 1, 1<<32 | 2, ^uint64(0) - 1, ^uint64(0)}
	checked := 0
	for i := 0; i < 300; i++ {
		wide := i%2 == 0
		var db ruletree.DB
		refused := false
		for j := 0; j < 1+r.IntN(5); j++ {
			if err := db.Add(allow+ruletree.Action(r.IntN(3)), j, randomConds(r), wide); err != nil {
				refused = true // EEXIST, checked against libseccomp elsewhere
				break
			}
		}
		if refused || db.Check() != nil {
			continue
		}
		e, err := db.Entry(def, wide, true)
		if err != nil {
			t.Fatalf("rule set %d: Entry: %v", i, err)
		}
		for n := 0; n < 200; n++ {
			var args [6]uint64
			for k := 0; k <= 2; k++ {
				args[k] = vals[r.IntN(len(vals))]
				if !wide {
					args[k] &= 0xffffffff
				}
			}
			want, _ := decide(t, &db, args)
			got := e.Action
			if e.Decision != nil {
				got = e.Decision.Decide(args)
			}
			if len(e.Rules) > 0 {
				got = def
				for _, rule := range e.Rules {
					if slices.IndexFunc(rule.Conds, func(c ruletree.Cond) bool { return !match(c, args[c.Arg]) }) < 0 {
						got = rule.Action
						break
					}
				}
				if e.Decision != nil && e.Decision.Decide(args) != got {
					t.Fatalf("rule set %d, args %#x: Rules give %d, the Decision %d", i, args, got, e.Decision.Decide(args))
				}
			}
			if got != want {
				t.Fatalf("rule set %d, args %#x: Entry %+v gives %d, Eval %d", i, args, e, got, want)
			}
			checked++
		}
	}
	if checked < 10000 {
		t.Errorf("only %d inputs checked", checked)
	}
}

func match(c ruletree.Cond, v uint64) bool {
	switch c.Op {
	case ruletree.OpNE:
		return v != c.Value
	case ruletree.OpLT:
		return v < c.Value
	case ruletree.OpLE:
		return v <= c.Value
	case ruletree.OpEQ:
		return v == c.Value
	case ruletree.OpGE:
		return v >= c.Value
	case ruletree.OpGT:
		return v > c.Value
	}
	return v&c.Value == c.ValueTwo&c.Value
}

func TestSet(t *testing.T) {
	s := ruletree.NewSet(0, 10, 3)
	for _, nr := range []uint32{7, 0xf0002, 3, 0xf0001, 7} {
		if err := s.Add(nr, allow, int(nr), nil, true); err != nil {
			t.Fatal(err)
		}
	}
	other := s.Other()
	if err := other.Add(trap, 9, nil, true); err != nil {
		t.Fatal(err)
	}
	var nrs []uint32
	for nr, db := range s.All() {
		nrs = append(nrs, nr)
		if a, o := decide(t, db, [6]uint64{}); a != allow || o != int(nr) {
			t.Errorf("system call %#x: %d from %d, want allow from its own rule", nr, a, o)
		}
	}
	if want := []uint32{3, 7, 0xf0001, 0xf0002}; !slices.Equal(nrs, want) || s.Len() != len(want) {
		t.Errorf("All: %#x (Len %d), want %#x", nrs, s.Len(), want)
	}
}

func TestMuxConds(t *testing.T) {
	in := []ruletree.Cond{{Arg: 0, Op: ruletree.OpEQ, Value: 2}, {Arg: 1, Op: ruletree.OpNE, Value: 3}}
	got := ruletree.MuxConds(in, 9)
	want := []ruletree.Cond{{Arg: 0, Op: ruletree.OpEQ, Value: 9}, {Arg: 1, Op: ruletree.OpNE, Value: 3}}
	if !slices.Equal(got, want) {
		t.Errorf("MuxConds = %+v, want %+v", got, want)
	}
}

func TestOrigins(t *testing.T) {
	var db ruletree.DB
	for i, v := range []uint64{4, 1, 9} {
		if err := db.Add(allow, 10-i, []ruletree.Cond{{Arg: 0, Op: ruletree.OpEQ, Value: v}}, true); err != nil {
			t.Fatal(err)
		}
	}
	if got := db.Origins(); !slices.Equal(got, []int{8, 9, 10}) {
		t.Errorf("Origins = %v, want [8 9 10]", got)
	}
}
