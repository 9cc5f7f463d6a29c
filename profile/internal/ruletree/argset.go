package ruletree

import "math/bits"

// interval is the closed range lo..hi of argument values.
type interval struct{ lo, hi uint64 }

// argSet is the set of values of one argument that a conjunction of
// comparisons accepts: values in one of ivs (sorted, disjoint, not
// adjacent) whose bits under mask equal val. max is the largest value of
// the domain: 2^64-1, or 2^32-1 on 32-bit ABIs.
type argSet struct {
	ivs       []interval
	mask, val uint64
	max       uint64
}

func fullSet(max uint64) argSet { return argSet{ivs: []interval{{0, max}}, max: max} }

func (s argSet) full() bool {
	return s.mask == 0 && len(s.ivs) == 1 && s.ivs[0] == interval{0, s.max}
}

func (s argSet) empty() bool { return len(s.ivs) == 0 }

// intersect keeps the values in lo..hi.
func (s *argSet) intersect(lo, hi uint64) {
	if lo > hi {
		s.ivs = nil
		return
	}
	var out []interval
	for _, iv := range s.ivs {
		a, b := max(iv.lo, lo), min(iv.hi, hi)
		if a <= b {
			out = append(out, interval{a, b})
		}
	}
	s.ivs = out
}

// exclude removes the value p.
func (s *argSet) exclude(p uint64) {
	var out []interval
	for _, iv := range s.ivs {
		if p < iv.lo || p > iv.hi {
			out = append(out, iv)
			continue
		}
		if p > iv.lo {
			out = append(out, interval{iv.lo, p - 1})
		}
		if p < iv.hi {
			out = append(out, interval{p + 1, iv.hi})
		}
	}
	s.ivs = out
}

// require adds the condition v & m == d & m.
func (s *argSet) require(m, d uint64) {
	d &= m
	if (s.val^d)&s.mask&m != 0 {
		s.ivs = nil
		return
	}
	s.mask |= m
	s.val |= d
	s.normalize()
}

// normalize turns a mask of contiguous high bits into an interval and
// drops the mask when it pins a single value, so that most sets are plain
// intervals; it empties unsatisfiable sets.
func (s *argSet) normalize() {
	if s.mask != 0 {
		free := ^s.mask & s.max
		if free&(free+1) == 0 { // the mask is a run of high bits
			s.intersect(s.val, s.val|free)
			s.mask, s.val = 0, 0
		}
	}
	if s.mask == 0 {
		return
	}
	// Keep only intervals that hold a value with the masked bits, and
	// shrink those that hold only one to that value.
	var out []interval
	points := true
	for _, iv := range s.ivs {
		v, ok := minMasked(iv.lo, s.mask, s.val, s.max)
		if !ok || v > iv.hi {
			continue
		}
		if v == s.max {
			out = append(out, interval{v, v})
			continue
		}
		if w, ok := minMasked(v+1, s.mask, s.val, s.max); !ok || w > iv.hi {
			out = append(out, interval{v, v})
			continue
		}
		out = append(out, iv)
		points = false
	}
	s.ivs = out
	if points {
		s.mask, s.val = 0, 0
	}
}

// minMasked returns the least v >= lo, v <= max, with v & mask == val.
func minMasked(lo, mask, val, max uint64) (uint64, bool) {
	if lo&mask == val {
		return lo, true
	}
	width := bits.Len64(max)
	// Candidates: agree with lo above bit i, set bit i where lo has 0,
	// and take the least bits below. The lowest valid i gives the least.
	for i := 0; i < width; i++ {
		bit := uint64(1) << i
		if lo&bit != 0 || mask&bit != 0 && val&bit == 0 {
			continue
		}
		above := max &^ (bit<<1 - 1)
		if i == width-1 {
			above = 0
		}
		if (lo^val)&mask&above != 0 {
			continue
		}
		return lo&above | bit | val&(bit-1), true
	}
	return 0, false
}

// union returns the values in s or t, which must have no mask.
func union(s, t argSet) argSet {
	all := append(append([]interval(nil), s.ivs...), t.ivs...)
	sortIntervals(all)
	var out []interval
	for _, iv := range all {
		if n := len(out); n > 0 && (iv.lo <= out[n-1].hi || out[n-1].hi != s.max && iv.lo == out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, iv.hi)
			continue
		}
		out = append(out, iv)
	}
	return argSet{ivs: out, max: s.max}
}

func sortIntervals(v []interval) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].lo < v[j-1].lo; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// subset reports whether every value of s is in t. It may answer false
// when it cannot tell.
func (s argSet) subset(t argSet) bool {
	if s.empty() {
		return true
	}
	if t.mask != 0 && (s.mask&t.mask != t.mask || (s.val^t.val)&t.mask != 0) {
		return false
	}
	for _, iv := range s.ivs {
		in := false
		for _, jv := range t.ivs {
			if iv.lo >= jv.lo && iv.hi <= jv.hi {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

func (s argSet) equal(t argSet) bool {
	if s.mask != t.mask || s.val != t.val || len(s.ivs) != len(t.ivs) {
		return false
	}
	for i := range s.ivs {
		if s.ivs[i] != t.ivs[i] {
			return false
		}
	}
	return true
}

// conds renders s as alternatives: s holds exactly the values that
// satisfy all conditions of one of the returned lists.
func (s argSet) conds(arg uint8) [][]Cond {
	if s.empty() {
		return nil
	}
	var base []Cond
	if s.mask != 0 {
		base = append(base, Cond{Arg: arg, Op: OpMaskedEQ, Value: s.mask, ValueTwo: s.val})
	}
	ivs := s.ivs
	if len(ivs) == 2 && ivs[0].lo == 0 && ivs[1].hi == s.max && ivs[0].hi+2 == ivs[1].lo {
		return [][]Cond{append(base, Cond{Arg: arg, Op: OpNE, Value: ivs[0].hi + 1})}
	}
	var out [][]Cond
	for _, iv := range ivs {
		c := append([]Cond(nil), base...)
		switch {
		case iv.lo == iv.hi:
			c = []Cond{{Arg: arg, Op: OpEQ, Value: iv.lo}}
		case iv.lo == 0 && iv.hi == s.max:
		case iv.lo == 0:
			c = append(c, Cond{Arg: arg, Op: OpLE, Value: iv.hi})
		case iv.hi == s.max:
			c = append(c, Cond{Arg: arg, Op: OpGE, Value: iv.lo})
		default:
			c = append(c, Cond{Arg: arg, Op: OpGE, Value: iv.lo}, Cond{Arg: arg, Op: OpLE, Value: iv.hi})
		}
		out = append(out, c)
	}
	return out
}
