package bpf

import (
	"fmt"
	"slices"
)

// Optimize returns f made smaller and faster without changing what it
// returns for any input. It runs a list of small passes until none changes
// the program:
//
//   - thread jumps: a jump to a ja goes to the ja's target; a jump to a
//     conditional jump whose outcome is already decided on that edge (the
//     same test, or A known equal to a constant) goes straight to the
//     outcome; a ja to a ret becomes a copy of that ret. A conditional jump
//     is threaded only as far as it reaches (255 instructions);
//   - a conditional jump whose two targets are the same becomes a ja;
//   - a ja to the next instruction is removed;
//   - identical tails are merged: a jump to an instruction goes to the last
//     instruction that does the same from there on (same operations, same
//     outcomes), which merges identical rets first of all; a conditional
//     jump only within its reach. An instruction that absorbs others keeps
//     its note only if theirs is the same;
//   - a reload of the seccomp_data word A already holds on every path is
//     removed;
//   - unreachable instructions are removed.
//
// A pass result that the kernel's scratch memory check would refuse (it is
// path-insensitive after a ret) is discarded, so Optimize never turns an
// accepted program into a refused one. f's labels must resolve as for Link
// and its opcodes be ones seccomp allows, with a ret last.
func Optimize(f Func) (Func, error) {
	nodes, err := f.nodes()
	if err != nil {
		return Func{}, fmt.Errorf("optimize: %w", err)
	}
	if err := checkNodes(nodes); err != nil {
		return Func{}, fmt.Errorf("optimize: %w", err)
	}
	return symbolic(optimize(nodes, passes)), nil
}

// checkNodes makes the checks the passes rely on.
func checkNodes(nodes []node) error {
	if len(nodes) == 0 {
		return fmt.Errorf("program has no instructions")
	}
	for i, nd := range nodes {
		if r := checkOperands(nd.op, nd.k); r != "" {
			return &ValidationError{Index: i, Reason: r}
		}
	}
	if last := len(nodes) - 1; !isRet(nodes[last].op) {
		return &ValidationError{Index: last, Reason: "last instruction must be a ret"}
	}
	return nil
}

// A pass is a pure function from a program to an equivalent one. It must
// not modify its argument; it builds its result in the work's spare
// buffer and may use the work's scratch space.
type pass struct {
	name string
	run  func(*work, []node) []node
}

var passes = []pass{
	{"thread jumps", (*work).threadJumps},
	{"same targets", (*work).sameTargets},
	{"remove nops", (*work).removeNops},
	{"merge tails", (*work).mergeTails},
	{"redundant loads", (*work).removeRedundantLoads},
	{"unreachable", (*work).removeUnreachable},
}

// work is the optimizer's reusable memory: a run of passes allocates
// little beyond its first round.
type work struct {
	spare   []node // where a pass builds its result
	bools   []bool
	ints    []int
	classes map[[2]uint64]int32
	int32s  [4][]int32
}

// clone returns a copy of nodes in the spare buffer.
func (w *work) clone(nodes []node) []node {
	return append(w.spare[:0], nodes...)
}

// boolsN returns a zeroed scratch []bool of length n.
func (w *work) boolsN(n int) []bool {
	w.bools = grown(w.bools, n)
	clear(w.bools)
	return w.bools
}

// grown returns s with length n, reallocated only when too small. The
// contents are not defined.
func grown[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// Single-pass forms, for tests.
func threadJumps(nodes []node) []node          { return new(work).threadJumps(nodes) }
func sameTargets(nodes []node) []node          { return new(work).sameTargets(nodes) }
func removeNops(nodes []node) []node           { return new(work).removeNops(nodes) }
func removeUnreachable(nodes []node) []node    { return new(work).removeUnreachable(nodes) }
func mergeTails(nodes []node) []node           { return new(work).mergeTails(nodes) }
func removeRedundantLoads(nodes []node) []node { return new(work).removeRedundantLoads(nodes) }

// maxRounds bounds the fixpoint loop; every pass shrinks the program or
// moves jumps forward, so it is never reached in practice.
const maxRounds = 1000

func optimize(nodes []node, ps []pass) []node {
	// Only a program that reads scratch memory can fail the kernel's
	// memory check, and no pass adds such a read.
	mem := slices.ContainsFunc(nodes, func(nd node) bool {
		return nd.op == BPF_LD|BPF_MEM || nd.op == BPF_LDX|BPF_MEM
	})
	ok := !mem || memOK(nodes)
	w := &work{}
	nodes = w.clone(nodes) // the caller's slice is never a spare buffer
	w.spare = nil
	// Stop once every pass in a row has left the program as it is.
	quiet := 0
	for i := 0; quiet < len(ps) && i < maxRounds*len(ps); i++ {
		out := ps[i%len(ps)].run(w, nodes)
		quiet++
		if slices.Equal(out, nodes) || mem && ok && !memOK(out) {
			w.spare = out[:0]
			continue
		}
		if mem && !ok {
			ok = memOK(out)
		}
		w.spare, nodes, quiet = nodes[:0], out, 0
	}
	return nodes
}

func memOK(nodes []node) bool {
	pc, _ := memCheck(len(nodes), func(i int) (uint16, uint32, int, int) {
		nd := nodes[i]
		return nd.op, nd.k, nd.t, nd.f
	})
	return pc < 0
}

// succ returns the successors of node i (-1: none).
func succ(nodes []node, i int) (uint16, uint32, int, int) {
	nd := nodes[i]
	switch {
	case isJA(nd.op), isCond(nd.op):
		return nd.op, nd.k, nd.t, nd.f
	case class(nd.op) == BPF_RET:
		return nd.op, nd.k, -1, -1
	}
	return nd.op, nd.k, i + 1, -1
}

// remove drops nodes. A jump to a dropped node goes to the next node kept,
// so only nodes that do nothing, or that nothing reaches, may be dropped.
func (w *work) remove(nodes []node, drop []bool) []node {
	n := len(nodes)
	w.ints = grown(w.ints, n+1)
	next := w.ints // new index of the first kept node at or after i
	kept := 0
	for i := range n {
		if !drop[i] {
			kept++
		}
	}
	next[n] = kept
	for i := n - 1; i >= 0; i-- {
		if !drop[i] {
			kept--
		}
		next[i] = kept
	}
	out := w.spare[:0]
	for i, nd := range nodes {
		if drop[i] {
			continue
		}
		if nd.t >= 0 {
			nd.t = next[nd.t]
		}
		if nd.f >= 0 {
			nd.f = next[nd.f]
		}
		out = append(out, nd)
	}
	return out
}

// threadJumps makes jumps skip what is already decided on the way.
func (w *work) threadJumps(nodes []node) []node {
	out := w.clone(nodes)
	for i := range out {
		nd := &out[i]
		switch {
		case isJA(nd.op):
			for isJA(out[nd.t].op) {
				nd.t = out[nd.t].t
			}
			if r := out[nd.t]; isRet(r.op) {
				*nd = node{op: r.op, k: r.k, t: -1, f: -1, note: r.note}
			}
		case isCond(nd.op):
			nd.t = threadEdge(out, i, nd.t, true)
			nd.f = threadEdge(out, i, nd.f, false)
		}
	}
	return out
}

// threadEdge follows the edge from conditional jump i, taken or not, to t
// through jas and through conditional jumps whose outcome it decides (A and
// X do not change along jumps), as far as a conditional jump reaches: going
// farther would only cost a trampoline.
func threadEdge(nodes []node, i, t int, taken bool) int {
	for {
		c := nodes[t]
		next := t
		switch {
		case isJA(c.op):
			next = c.t
		case isCond(c.op):
			outcome, known := decide(nodes[i], taken, c)
			switch {
			case !known:
			case outcome:
				next = c.t
			default:
				next = c.f
			}
		}
		if next == t || next-i-1 > 255 {
			return t
		}
		t = next
	}
}

// decide tells the outcome of conditional jump c when conditional jump j,
// with the same A and X, had the given outcome.
func decide(j node, taken bool, c node) (outcome, known bool) {
	if c.op == j.op && c.k == j.k {
		return taken, true
	}
	if taken && j.op == BPF_JMP|BPF_JEQ|BPF_K && src(c.op) == BPF_K {
		a, k := j.k, c.k // A == j.k
		switch aluOp(c.op) {
		case BPF_JEQ:
			return a == k, true
		case BPF_JGT:
			return a > k, true
		case BPF_JGE:
			return a >= k, true
		case BPF_JSET:
			return a&k != 0, true
		}
	}
	return false, false
}

// sameTargets turns a conditional jump with one target into a ja.
func (w *work) sameTargets(nodes []node) []node {
	out := w.clone(nodes)
	for i, nd := range out {
		if isCond(nd.op) && nd.t == nd.f {
			out[i] = node{op: BPF_JMP | BPF_JA, t: nd.t, f: -1, note: nd.note}
		}
	}
	return out
}

// removeNops removes jas to the next instruction.
func (w *work) removeNops(nodes []node) []node {
	drop := w.boolsN(len(nodes))
	for i, nd := range nodes {
		drop[i] = isJA(nd.op) && nd.t == i+1
	}
	return w.remove(nodes, drop)
}

// removeUnreachable removes the instructions no path from the first reaches.
func (w *work) removeUnreachable(nodes []node) []node {
	n := len(nodes)
	reach := w.boolsN(n)
	reach[0] = true
	for i := range n {
		if !reach[i] {
			continue
		}
		_, _, s1, s2 := succ(nodes, i)
		for _, s := range [2]int{s1, s2} {
			if s > i && s < n {
				reach[s] = true
			}
		}
	}
	for i := range reach {
		reach[i] = !reach[i] // now: drop
	}
	return w.remove(nodes, reach)
}

// mergeTails sends every jump to the last instruction equivalent to its
// target. Two instructions are equivalent when they have the same opcode and
// constant and equivalent successors (a ja is equivalent to its target);
// computed from the end, since jumps go forward. A conditional jump, which
// skips at most 255 instructions, goes to the last equivalent within reach
// if its target is (merging farther would only trade the copy for a
// trampoline). Copies reached by falling through stay.
func (w *work) mergeTails(nodes []node) []node {
	n := len(nodes)
	// A class is keyed by opcode, constant and the classes of the
	// successors (-1: none), packed in two words.
	if w.classes == nil {
		w.classes = make(map[[2]uint64]int32, n)
	}
	classes := w.classes
	clear(classes)
	class := grown(w.int32s[0], n)
	count := w.int32s[1][:0] // members per class
	for i := n - 1; i >= 0; i-- {
		nd := nodes[i]
		if isJA(nd.op) {
			class[i] = class[nd.t]
			continue
		}
		c1, c2 := int32(-1), int32(-1)
		_, _, s1, s2 := succ(nodes, i)
		if s1 >= 0 && s1 < n {
			c1 = class[s1]
		}
		if s2 >= 0 && s2 < n {
			c2 = class[s2]
		}
		kk := [2]uint64{uint64(nd.op)<<32 | uint64(nd.k), uint64(uint32(c1))<<32 | uint64(uint32(c2))}
		c, ok := classes[kk]
		if !ok {
			c = int32(len(count))
			classes[kk] = c
			count = append(count, 0)
		}
		count[c]++
		class[i] = c
	}
	// members[start[c]:start[c+1]]: the instructions of class c, descending.
	start := grown(w.int32s[2], len(count)+1)
	start[0] = 0
	for c, k := range count {
		start[c+1] = start[c] + k
	}
	w.ints = grown(w.ints, int(start[len(count)]))
	members := w.ints
	fill := append(w.int32s[3][:0], start[:len(count)]...)
	w.int32s = [4][]int32{class, count, start, fill}
	for i := n - 1; i >= 0; i-- {
		if !isJA(nodes[i].op) {
			c := class[i]
			members[fill[c]] = i
			fill[c]++
		}
	}
	out := w.clone(nodes)
	mixed := w.boolsN(n)
	retarget := func(from, t int, cond bool) int {
		c := class[t]
		m := members[start[c]:start[c+1]]
		r := m[0]
		if cond && t-from-1 <= 255 {
			// The first (largest) member within reach: t itself, unless t is
			// a ja (not a member), whose class may have none in reach.
			r = t
			// The member must also lie ahead of the jump: when t is a ja
			// whose class has no member in reach, the largest member
			// within reach may be behind it.
			if j, _ := slices.BinarySearchFunc(m, from+256, func(e, lim int) int { return lim - e }); j < len(m) && m[j] > from {
				r = m[j]
			}
		}
		if r != t && nodes[t].note != nodes[r].note {
			mixed[r] = true
		}
		return r
	}
	for i := range out {
		nd := &out[i]
		switch {
		case isJA(nd.op):
			nd.t = retarget(i, nd.t, false)
		case isCond(nd.op):
			nd.t = retarget(i, nd.t, true)
			nd.f = retarget(i, nd.f, true)
		}
	}
	for i := range out {
		if mixed[i] {
			out[i].note = ""
		}
	}
	return out
}

// removeRedundantLoads removes ld [k] where A holds that word already.
func (w *work) removeRedundantLoads(nodes []node) []node {
	state := loadState(len(nodes), func(i int) (uint16, uint32, int, int) { return succ(nodes, i) })
	drop := w.boolsN(len(nodes))
	for i, nd := range nodes {
		drop[i] = nd.op == BPF_LD|BPF_W|BPF_ABS && state[i] == int(nd.k)
	}
	return w.remove(nodes, drop)
}
