package ruletree

import (
	"fmt"
	"math"
	"slices"
)

// Node is a node of a decision diagram over the arguments of one system
// call: it compares one 32-bit word of one argument and goes on to one of
// two nodes, until a leaf gives the action. A is the action type and O the
// comparison type of the user (package profile has its own of each; Op
// values are the same).
type Node[A any, O ~uint8] struct {
	Leaf   bool
	Action A   // of a leaf
	Origin int // of a leaf: the profile rule, or DecidedByDefault

	Word        Word
	Op          O      // OpEQ, OpGT or OpGE, of Word & Mask against Datum
	Mask        uint32 // 0xffffffff when the word is compared whole
	Datum       uint32
	True, False *Node[A, O]

	words uint16 // the words tested in the diagram from here on (bit 2*Arg+Hi)
}

// Decision is the argument check of one system call as a decision
// diagram. It is what the BPF that libseccomp generates from its rule
// tree computes, with shared subtrees kept shared: its size grows with
// the rules, not with the paths through them, so rules that would
// flatten into millions of CondRules (many NE conditions, say) still
// make a small diagram.
//
// Nodes are unique: two nodes with the same test and the same successors
// are one node, and no node has two equal successors.
type Decision = Node[Action, Op]

// Word names a 32-bit half of an argument. On 32-bit ABIs only the low
// word exists.
type Word struct {
	Arg uint8
	Hi  bool
}

// Decide runs d on args (the full 64-bit arguments; on 32-bit ABIs their
// low words are compared).
func (d *Node[A, O]) Decide(args [6]uint64) A {
	for !d.Leaf {
		v := args[d.Word.Arg]
		w := uint32(v)
		if d.Word.Hi {
			w = uint32(v >> 32)
		}
		w &= d.Mask
		var t bool
		switch Op(d.Op) {
		case OpEQ:
			t = w == d.Datum
		case OpGT:
			t = w > d.Datum
		case OpGE:
			t = w >= d.Datum
		}
		if t {
			d = d.True
		} else {
			d = d.False
		}
	}
	return d.Action
}

// Size returns the number of test nodes of d.
func (d *Node[A, O]) Size() int {
	seen := map[*Node[A, O]]bool{}
	var walk func(*Node[A, O])
	walk = func(n *Node[A, O]) {
		if n.Leaf || seen[n] {
			return
		}
		seen[n] = true
		walk(n.True)
		walk(n.False)
	}
	walk(d)
	return len(seen)
}

// maxDecision bounds the nodes of one system call's Decision. libseccomp's
// BPF for one system call cannot be longer than the kernel's 4096
// instructions either; this leaves room for what the optimizer removes.
const maxDecision = 1 << 14

// errDecisionSize reports a Decision over maxDecision nodes.
var errDecisionSize = fmt.Errorf("%w: the argument checks need more than %d comparisons", ErrTooComplex, maxDecision)

// decisionBuilder turns a rule tree into a Decision.
type decisionBuilder struct {
	uniq   map[decisionKey]*Decision
	leaves map[Action]*Decision
	memo   map[contKey]*Decision
	nodes  int
	// restricted memoizes restrict; work counts its steps, and past
	// maxRestrictWork restrict gives up (its result is only smaller).
	restricted map[restrictKey]*Decision
	work       int
	// narrow makes the continuation of a next level forget what the
	// test that leads there decides (restrict): rules split into many
	// (hardened ones: one per block of values) then share what follows
	// them, while the rules whose next levels libseccomp shares between
	// two tests keep their continuations equal only without it.
	narrow bool
}

type restrictKey struct {
	d *Decision
	f fact
}

// maxRestrictWork bounds the nodes restrict visits for one Decision.
const maxRestrictWork = 1 << 22

type decisionKey struct {
	w           Word
	op          Op
	mask, datum uint32
	t, f        *Decision
}

// contKey is a node of the rule tree and what follows when nothing on its
// level from that node on decides: the continuation.
type contKey struct {
	n    *node
	cont *Decision
}

func (b *decisionBuilder) leaf(a Action, origin int) *Decision {
	if l := b.leaves[a]; l != nil {
		return l
	}
	l := &Decision{Leaf: true, Action: a, Origin: origin}
	b.leaves[a] = l
	return l
}

func (b *decisionBuilder) test(n *node, t, f *Decision) (*Decision, error) {
	op := n.op
	if op == OpMaskedEQ {
		op = OpEQ
	}
	return b.node(Word{n.arg, n.hi}, op, n.mask, n.datum, t, f)
}

// node returns the unique node testing word w & mask op datum, with t
// and f cut down to what can still happen when the test holds and when
// it does not (restrict). A test whose outcome is known statically (a
// word masked with 0, a word above 0xffffffff) is no node.
func (b *decisionBuilder) node(w Word, op Op, mask, datum uint32, t, f *Decision) (*Decision, error) {
	ft := fact{w: w, op: op, mask: mask, datum: datum, out: true}
	if v, ok := ft.static(); ok {
		if v {
			return t, nil
		}
		return f, nil
	}
	t = b.restrict(t, ft)
	ft.out = false
	f = b.restrict(f, ft)
	return b.mk(w, op, mask, datum, t, f)
}

// mk returns the unique node of the test and its successors as given.
func (b *decisionBuilder) mk(w Word, op Op, mask, datum uint32, t, f *Decision) (*Decision, error) {
	if t == f {
		return t, nil
	}
	k := decisionKey{w, op, mask, datum, t, f}
	if d := b.uniq[k]; d != nil {
		return d, nil
	}
	b.nodes++
	if b.nodes > maxDecision {
		return nil, errDecisionSize
	}
	d := &Decision{Word: w, Op: op, Mask: mask, Datum: datum, True: t, False: f}
	d.words = t.words | f.words | w.bit()
	b.uniq[k] = d
	return d, nil
}

// restrict returns d with the tests that f decides taken out: what d
// computes wherever f holds. It never fails: past its work bound it
// returns d itself, which computes the same.
func (b *decisionBuilder) restrict(d *Decision, f fact) *Decision {
	if d.Leaf || d.words&f.w.bit() == 0 {
		return d
	}
	k := restrictKey{d, f}
	if r, ok := b.restricted[k]; ok {
		return r
	}
	if b.work++; b.work > maxRestrictWork {
		return d
	}
	var r *Decision
	if d.Word == f.w {
		if v, ok := f.decides(d.Op, d.Mask, d.Datum); ok {
			if v {
				r = b.restrict(d.True, f)
			} else {
				r = b.restrict(d.False, f)
			}
		}
	}
	if r == nil {
		r = d
	}
	b.restricted[k] = r
	return r
}

// decision returns the Decision of the tree chains with fallback def: the
// program _gen_bpf_chain emits, where a level tries its nodes in order, a
// branch with a next level runs it and falls through to the next node of
// its own level when nothing there decides, a branch with an action
// decides, and a branch with neither falls through at once.
//
// It builds the diagram twice, continuations narrowed and not (see
// decisionBuilder.narrow), and returns the smaller, with runs of tests of
// one word merged (mergeWords).
func decision(chains *node, def Action) (*Decision, error) {
	var best *Decision
	var bestErr error
	for _, narrow := range []bool{false, true} {
		b := &decisionBuilder{
			uniq:       map[decisionKey]*Decision{},
			leaves:     map[Action]*Decision{},
			memo:       map[contKey]*Decision{},
			restricted: map[restrictKey]*Decision{},
			narrow:     narrow,
		}
		d, err := b.level(first(chains), b.leaf(def, DecidedByDefault))
		if err == nil {
			d = b.mergeWords(d)
		}
		switch {
		case err != nil:
			if best == nil && bestErr == nil {
				bestErr = err
			}
		case best == nil || d.Size() < best.Size():
			best, bestErr = d, nil
		}
	}
	return best, bestErr
}

// level returns the Decision of the level from n on, followed by cont.
func (b *decisionBuilder) level(n *node, cont *Decision) (*Decision, error) {
	if n == nil {
		return cont, nil
	}
	k := contKey{n, cont}
	if d, ok := b.memo[k]; ok {
		return d, nil
	}
	if len(b.memo) > 4*maxDecision {
		return nil, errDecisionSize
	}
	rest, err := b.level(n.nxt, cont)
	if err != nil {
		return nil, err
	}
	op := n.op
	if op == OpMaskedEQ {
		op = OpEQ
	}
	ft := fact{w: Word{n.arg, n.hi}, op: op, mask: n.mask, datum: n.datum, out: true}
	ff := ft
	ff.out = false
	branch := func(next *node, has bool, act Action, orig int, f fact) (*Decision, error) {
		switch {
		case next != nil:
			// The next level runs only where the test went this way:
			// what follows it can forget the tests that this decides.
			if b.narrow {
				return b.level(first(next), b.restrict(rest, f))
			}
			return b.level(first(next), rest)
		case has:
			return b.leaf(act, orig), nil
		}
		return rest, nil
	}
	t, err := branch(n.nxtT, n.hasT, n.actT, n.origT, ft)
	if err != nil {
		return nil, err
	}
	f, err := branch(n.nxtF, n.hasF, n.actF, n.origF, ff)
	if err != nil {
		return nil, err
	}
	d, err := b.test(n, t, f)
	if err != nil {
		return nil, err
	}
	b.memo[k] = d
	return d, nil
}

// bit returns w's bit in Decision.words.
func (w Word) bit() uint16 {
	i := 2 * uint(w.Arg)
	if w.Hi {
		i++
	}
	return 1 << i
}

// fact is what a path through a Decision knows after one test: word w,
// and-ed with mask, compared with datum by op (OpEQ, OpGT or OpGE), gave
// out.
type fact struct {
	w           Word
	op          Op
	mask, datum uint32
	out         bool
}

// wspan is the 32-bit values lo..hi.
type wspan struct{ lo, hi uint32 }

// spans returns the values of a word for which the test op, mask, datum
// holds, as sorted disjoint spans, when they are spans: full-mask tests
// and masks of high bits only (0xfffff000 makes a block of values). ok is
// false for other masks.
func spans(op Op, mask, datum uint32) (s []wspan, ok bool) {
	switch op {
	case OpGT:
		if mask != math.MaxUint32 {
			return nil, false
		}
		if datum == math.MaxUint32 {
			return nil, true
		}
		return []wspan{{datum + 1, math.MaxUint32}}, true
	case OpGE:
		if mask != math.MaxUint32 {
			return nil, false
		}
		return []wspan{{datum, math.MaxUint32}}, true
	}
	if ^mask&(^mask+1) != 0 { // the zero bits of mask are not the low ones
		return nil, false
	}
	if datum&^mask != 0 {
		return nil, true
	}
	return []wspan{{datum, datum | ^mask}}, true
}

// complement returns the values outside s (sorted, disjoint).
func complement(s []wspan) []wspan {
	var out []wspan
	next := uint64(0)
	for _, x := range s {
		if uint64(x.lo) > next {
			out = append(out, wspan{uint32(next), x.lo - 1})
		}
		next = uint64(x.hi) + 1
	}
	if next <= math.MaxUint32 {
		out = append(out, wspan{uint32(next), math.MaxUint32})
	}
	return out
}

// within reports whether every value of a is in b.
func within(a, b []wspan) bool {
	for _, x := range a {
		ok := false
		for _, y := range b {
			if y.lo <= x.lo && x.hi <= y.hi {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// apart reports whether no value is in both a and b.
func apart(a, b []wspan) bool {
	for _, x := range a {
		for _, y := range b {
			if x.lo <= y.hi && y.lo <= x.hi {
				return false
			}
		}
	}
	return true
}

// static returns the outcome of f's test when no value of the word can
// change it.
func (f fact) static() (v, ok bool) {
	s, ok := spans(f.op, f.mask, f.datum)
	switch {
	case !ok:
		if f.datum&^f.mask != 0 {
			return false, true // a masked word never has bits outside the mask
		}
		return false, false
	case len(s) == 0:
		return false, true
	case len(s) == 1 && s[0] == wspan{0, math.MaxUint32}:
		return true, true
	}
	return false, false
}

// decides returns the outcome of the test op, mask, datum on f's word
// wherever f holds, when f decides it.
func (f fact) decides(op Op, mask, datum uint32) (v, ok bool) {
	if f.op == op && f.mask == mask && f.datum == datum {
		return f.out, true
	}
	known, okK := spans(f.op, f.mask, f.datum)
	test, okT := spans(op, mask, datum)
	if okK && okT {
		if !f.out {
			known = complement(known)
		}
		switch {
		case within(known, test):
			return true, true
		case apart(known, test):
			return false, true
		}
		return false, false
	}
	// Masked tests: a known block of values (f held) decides a masked
	// test when the test's mask lies within f's, or their fixed bits
	// differ.
	if f.out && f.op == OpEQ && op == OpEQ {
		switch {
		case (f.datum^datum)&f.mask&mask != 0:
			return false, true
		case mask&^f.mask == 0:
			return f.datum&mask == datum, true
		}
	}
	return false, false
}

// holds reports whether the test op, mask, datum holds for word value x.
func holds(op Op, mask, datum, x uint32) bool {
	x &= mask
	switch op {
	case OpGT:
		return x > datum
	case OpGE:
		return x >= datum
	}
	return x == datum
}

// maxRegion bounds the tests of one word mergeWords merges at once.
const maxRegion = 256

// mergeWords returns d with each region of tests of one word (a test and
// the tests of the same word it leads to, as long as each tests a span
// of values) replaced by the fewest tests that send each value where the
// region sends it, when they are fewer: hardening splits a comparison
// into one MASKED_EQ rule per block of values, which a span test decides
// at once. Past its bounds it returns d unchanged.
func (b *decisionBuilder) mergeWords(d *Decision) *Decision {
	memo := map[*Decision]*Decision{}
	var failed bool
	var merge func(d *Decision) *Decision
	merge = func(d *Decision) *Decision {
		if d.Leaf || failed {
			return d
		}
		if r, ok := memo[d]; ok {
			return r
		}
		r := b.mergeRegion(d, merge)
		if r == nil {
			var err error
			if r, err = b.mk(d.Word, d.Op, d.Mask, d.Datum, merge(d.True), merge(d.False)); err != nil {
				failed = true
				return d
			}
		}
		memo[d] = r
		return r
	}
	r := merge(d)
	if failed {
		return d
	}
	return r
}

// region is one range of values of a word and where it leads.
type region struct {
	lo, hi uint32
	exit   *Decision
}

// mergeRegion returns the tests that replace the region of d's word from
// d on, with its exits merged by merge, or nil when that gains nothing.
func (b *decisionBuilder) mergeRegion(d *Decision, merge func(*Decision) *Decision) *Decision {
	in := func(n *Decision) bool {
		if n.Leaf || n.Word != d.Word {
			return false
		}
		_, ok := spans(n.Op, n.Mask, n.Datum)
		return ok
	}
	if !in(d) {
		return nil
	}
	seen := map[*Decision]bool{d: true}
	queue := []*Decision{d}
	var cuts []uint64
	for i := 0; i < len(queue); i++ {
		n := queue[i]
		s, _ := spans(n.Op, n.Mask, n.Datum)
		for _, x := range s {
			cuts = append(cuts, uint64(x.lo), uint64(x.hi)+1)
		}
		for _, c := range [2]*Decision{n.True, n.False} {
			if in(c) && !seen[c] {
				if len(queue) == maxRegion {
					return nil
				}
				seen[c] = true
				queue = append(queue, c)
			}
		}
	}
	if len(queue) < 2 {
		return nil
	}
	cuts = append(cuts, 0)
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var regs []region
	for i, c := range cuts {
		if c > math.MaxUint32 {
			break
		}
		hi := uint64(math.MaxUint32)
		if i+1 < len(cuts) && cuts[i+1]-1 < hi {
			hi = cuts[i+1] - 1
		}
		x := uint32(c)
		n := d
		for in(n) && seen[n] {
			if holds(n.Op, n.Mask, n.Datum, x) {
				n = n.True
			} else {
				n = n.False
			}
		}
		e := merge(n)
		if k := len(regs); k > 0 && regs[k-1].exit == e {
			regs[k-1].hi = uint32(hi)
			continue
		}
		regs = append(regs, region{x, uint32(hi), e})
	}
	if cost := spanTests(regs); cost >= len(queue) {
		return nil
	}
	r, err := b.spanTree(d.Word, regs)
	if err != nil {
		return nil
	}
	return r
}

// spanTests returns the tests spanTree makes for regs.
func spanTests(regs []region) int {
	if p, ok := pointsOnly(regs); ok {
		return min(p, len(regs)-1)
	}
	return len(regs) - 1
}

// pointsOnly reports whether every region that does not lead to the exit
// of the first region is a single value, and how many there are.
func pointsOnly(regs []region) (int, bool) {
	n := 0
	for _, r := range regs {
		if r.exit != regs[0].exit {
			if r.lo != r.hi {
				return 0, false
			}
			n++
		}
	}
	return n, true
}

// spanTree returns tests of word w that lead each value to the exit of
// its region (regs: sorted, covering every value).
func (b *decisionBuilder) spanTree(w Word, regs []region) (*Decision, error) {
	if p, ok := pointsOnly(regs); ok && p < len(regs)-1 {
		// A few values apart: one equality test each.
		r := regs[0].exit
		for i := len(regs) - 1; i >= 0; i-- {
			if regs[i].exit == regs[0].exit {
				continue
			}
			var err error
			if r, err = b.mk(w, OpEQ, math.MaxUint32, regs[i].lo, regs[i].exit, r); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	switch len(regs) {
	case 1:
		return regs[0].exit, nil
	case 3:
		if regs[1].lo == regs[1].hi && regs[0].exit == regs[2].exit {
			return b.mk(w, OpEQ, math.MaxUint32, regs[1].lo, regs[1].exit, regs[0].exit)
		}
	}
	k := len(regs) / 2
	lo, err := b.spanTree(w, regs[:k])
	if err != nil {
		return nil, err
	}
	hi, err := b.spanTree(w, regs[k:])
	if err != nil {
		return nil, err
	}
	return b.mk(w, OpGE, math.MaxUint32, regs[k].lo, hi, lo)
}
