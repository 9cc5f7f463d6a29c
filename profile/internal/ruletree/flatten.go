package ruletree

import (
	"fmt"
)

// errTooManyPaths reports a tree with too many paths to flatten.
var errTooManyPaths = fmt.Errorf("%w: more than %d argument paths", ErrTooComplex, maxPaths)

// maxPaths bounds the paths flatten lists, and maxFlatSteps the nodes it
// walks to find them (paths that end in no action count too).
const (
	maxPaths     = 1 << 14
	maxFlatSteps = 1 << 22
)

// maxSimplifySteps bounds the pairs of rules simplify tries to merge; past
// it, simplify stops merging, which only leaves more rules.
const maxSimplifySteps = 1 << 22

// flatRule is one path of the tree: the values of each argument it
// accepts (nil: any) and its action.
type flatRule struct {
	args   [MaxArg + 1]*argSet
	action Action
	origin int
}

type step struct {
	n  *node
	br bool
}

// flatten lists at most limit (<= maxPaths) paths of the tree in the order the generated BPF
// tries them. The first path that accepts the arguments gives the action,
// exactly as eval does: a node whose branch has neither an action nor a
// next level only lets evaluation go on to the next node, which is what
// trying the paths in order does too.
func flatten(root *node, wide bool, limit int) ([]flatRule, error) {
	var out []flatRule
	var path []step
	steps := 0
	var walk func(n *node) error
	walk = func(n *node) error {
		for n = first(n); n != nil; n = n.nxt {
			if steps++; steps > maxFlatSteps {
				return errTooManyPaths
			}
			for _, br := range [2]bool{true, false} {
				next, has, act, orig := n.nxtT, n.hasT, n.actT, n.origT
				if !br {
					next, has, act, orig = n.nxtF, n.hasF, n.actF, n.origF
				}
				path = append(path, step{n, br})
				switch {
				case next != nil:
					if err := walk(next); err != nil {
						return err
					}
				case has:
					if len(out) >= limit {
						return errTooManyPaths
					}
					r, ok, err := pathRule(path, wide)
					if err != nil {
						return err
					}
					if ok {
						r.action, r.origin = act, orig
						out = append(out, r)
					}
				}
				path = path[:len(path)-1]
			}
		}
		return nil
	}
	err := walk(root)
	return out, err
}

// pathRule turns the comparisons along a path into the argument sets
// they accept; ok is false when no value passes them all.
func pathRule(path []step, wide bool) (flatRule, bool, error) {
	var r flatRule
	dom := uint64(0xffffffff)
	if wide {
		dom = ^uint64(0)
	}
	for _, st := range path {
		n := st.n
		s := r.args[n.arg]
		if s == nil {
			f := fullSet(dom)
			s = &f
			r.args[n.arg] = s
		}
		if err := apply(s, n, st.br, wide); err != nil {
			return r, false, err
		}
		if s.empty() {
			return r, false, nil
		}
	}
	return r, true, nil
}

// apply intersects s with the values for which node n's test is br.
func apply(s *argSet, n *node, br bool, wide bool) error {
	d, m := uint64(n.datum), uint64(n.mask)
	unsupported := func() error {
		return fmt.Errorf("internal error: cannot express %v test %s of argument %d (hi %v) as a 64-bit comparison", br, n.op, n.arg, n.hi)
	}
	if n.hi {
		if !wide {
			return unsupported()
		}
		const lo32 = 0xffffffff
		switch {
		case (n.op == OpEQ || n.op == OpMaskedEQ) && br:
			s.require(m<<32, d<<32)
		case n.op == OpEQ && m == lo32:
			s.intersectNot(d<<32, d<<32|lo32)
		case n.op == OpGT && m == lo32 && br:
			if d == lo32 {
				s.ivs = nil
			} else {
				s.intersect((d+1)<<32, s.max)
			}
		case n.op == OpGT && m == lo32:
			s.intersect(0, d<<32|lo32)
		case n.op == OpGE && m == lo32 && br:
			s.intersect(d<<32, s.max)
		case n.op == OpGE && m == lo32:
			if d == 0 {
				s.ivs = nil
			} else {
				s.intersect(0, d<<32-1)
			}
		default:
			return unsupported()
		}
		return nil
	}
	if (n.op == OpEQ || n.op == OpMaskedEQ) && br {
		s.require(m, d)
		return nil
	}
	// Range and inequality tests of a low word: on 64-bit ABIs they
	// follow a test that pinned the high word.
	base := uint64(0)
	if wide {
		if s.empty() {
			return nil
		}
		h := s.ivs[0].lo >> 32
		if s.ivs[len(s.ivs)-1].hi>>32 != h || s.mask&^0xffffffff != 0 {
			return unsupported()
		}
		base = h << 32
	}
	full := m == 0xffffffff
	v := base | d
	switch {
	case n.op == OpEQ && full:
		s.exclude(v)
	case n.op == OpGT && full && br:
		if d == 0xffffffff {
			s.ivs = nil
		} else {
			s.intersect(v+1, s.max)
		}
	case n.op == OpGT && full:
		s.intersect(0, v)
	case n.op == OpGE && full && br:
		s.intersect(v, s.max)
	case n.op == OpGE && full:
		if v == 0 {
			s.ivs = nil
		} else {
			s.intersect(0, v-1)
		}
	default:
		return unsupported()
	}
	s.normalize()
	return nil
}

// intersectNot removes the values lo..hi.
func (s *argSet) intersectNot(lo, hi uint64) {
	var out []interval
	for _, iv := range s.ivs {
		if iv.hi < lo || iv.lo > hi {
			out = append(out, iv)
			continue
		}
		if iv.lo < lo {
			out = append(out, interval{iv.lo, lo - 1})
		}
		if iv.hi > hi {
			out = append(out, interval{hi + 1, iv.hi})
		}
	}
	s.ivs = out
	s.normalize()
}

// simplify, with at most limit (<= maxSimplifySteps) tries, merges and
// drops flat rules without changing which action the
// first accepting rule gives, falling back to def: neighbours with one
// action whose sets differ in one argument become one rule, a rule
// inside its predecessor of the same action goes, rules after one that
// accepts everything go, and so do trailing rules with the fallback
// action. When all rules share one action their order does not matter
// and any two may merge.
func simplify(rs []flatRule, def Action, limit int) []flatRule {
	for i := range rs {
		for a, s := range rs[i].args {
			if s != nil && s.full() {
				rs[i].args[a] = nil
			}
		}
	}
	oneAction := true
	for _, r := range rs {
		if r.action != rs[0].action {
			oneAction = false
		}
	}
	steps := 0
	for changed := true; changed && steps < limit; {
		changed = false
		for i := 0; i < len(rs) && !changed; i++ {
			for j := i + 1; j < len(rs) && !changed && steps < limit; j++ {
				steps++
				if !oneAction && j != i+1 {
					break
				}
				if rs[i].action != rs[j].action {
					continue
				}
				if m, ok := merge(rs[i], rs[j]); ok {
					rs[i] = m
					rs = append(rs[:j], rs[j+1:]...)
					changed = true
				}
			}
		}
	}
	for i, r := range rs {
		if r.always() {
			rs = rs[:i+1]
			break
		}
	}
	for len(rs) > 0 && rs[len(rs)-1].action == def {
		rs = rs[:len(rs)-1]
	}
	return rs
}

func (r flatRule) always() bool {
	for _, s := range r.args {
		if s != nil {
			return false
		}
	}
	return true
}

// merge returns one rule accepting what a or b accepts, when there is one.
func merge(a, b flatRule) (flatRule, bool) {
	if a.within(b) {
		b.origin = min(a.origin, b.origin)
		return b, true
	}
	if b.within(a) {
		return a, true
	}
	diff := -1
	for k := range a.args {
		sa, sb := a.args[k], b.args[k]
		if sa == nil && sb == nil || sa != nil && sb != nil && sa.equal(*sb) {
			continue
		}
		if diff >= 0 {
			return a, false
		}
		diff = k
	}
	if diff < 0 {
		return a, true
	}
	sa, sb := a.args[diff], b.args[diff]
	if sa == nil || sb == nil || sa.mask != 0 || sb.mask != 0 {
		return a, false
	}
	u := union(*sa, *sb)
	if u.full() {
		a.args[diff] = nil
	} else {
		a.args[diff] = &u
	}
	return a, true
}

// within reports whether every argument tuple r accepts, o accepts.
func (r flatRule) within(o flatRule) bool {
	for k := range r.args {
		sr, so := r.args[k], o.args[k]
		if so == nil {
			continue
		}
		if sr == nil || !sr.subset(*so) {
			return false
		}
	}
	return true
}

// condRules renders flat rules as CondRules; a rule whose set of some
// argument is not one range becomes several rules with the same action.
func condRules(rs []flatRule) ([]CondRule, error) {
	var out []CondRule
	for _, r := range rs {
		alts := [][]Cond{nil}
		for k, s := range r.args {
			if s == nil {
				continue
			}
			var next [][]Cond
			cs := s.conds(uint8(k))
			if len(out)+len(alts)*len(cs) > maxPaths {
				return nil, errTooManyPaths
			}
			for _, c := range cs {
				for _, a := range alts {
					next = append(next, append(append([]Cond(nil), a...), c...))
				}
			}
			alts = next
		}
		for _, a := range alts {
			out = append(out, CondRule{Conds: a, Action: r.action, Origin: r.origin})
		}
	}
	return out, nil
}
