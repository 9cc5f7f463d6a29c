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
// not modify its argument.
type pass struct {
	name string
	run  func([]node) []node
}

var passes = []pass{
	{"thread jumps", threadJumps},
	{"same targets", sameTargets},
	{"remove nops", removeNops},
	{"merge tails", mergeTails},
	{"redundant loads", removeRedundantLoads},
	{"unreachable", removeUnreachable},
}

// maxRounds bounds the fixpoint loop; every pass shrinks the program or
// moves jumps forward, so it is never reached in practice.
const maxRounds = 1000

func optimize(nodes []node, ps []pass) []node {
	for range maxRounds {
		changed := false
		for _, p := range ps {
			out := p.run(nodes)
			if slices.Equal(out, nodes) {
				continue
			}
			if memOK(nodes) && !memOK(out) {
				continue
			}
			nodes, changed = out, true
		}
		if !changed {
			break
		}
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
func remove(nodes []node, drop []bool) []node {
	n := len(nodes)
	next := make([]int, n+1) // new index of the first kept node at or after i
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
	out := make([]node, 0, next[n])
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
func threadJumps(nodes []node) []node {
	out := slices.Clone(nodes)
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
func sameTargets(nodes []node) []node {
	out := slices.Clone(nodes)
	for i, nd := range out {
		if isCond(nd.op) && nd.t == nd.f {
			out[i] = node{op: BPF_JMP | BPF_JA, t: nd.t, f: -1, note: nd.note}
		}
	}
	return out
}

// removeNops removes jas to the next instruction.
func removeNops(nodes []node) []node {
	drop := make([]bool, len(nodes))
	for i, nd := range nodes {
		drop[i] = isJA(nd.op) && nd.t == i+1
	}
	return remove(nodes, drop)
}

// removeUnreachable removes the instructions no path from the first reaches.
func removeUnreachable(nodes []node) []node {
	n := len(nodes)
	reach := make([]bool, n)
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
	drop := make([]bool, n)
	for i := range drop {
		drop[i] = !reach[i]
	}
	return remove(nodes, drop)
}

// mergeTails sends every jump to the last instruction equivalent to its
// target. Two instructions are equivalent when they have the same opcode and
// constant and equivalent successors (a ja is equivalent to its target);
// computed from the end, since jumps go forward. A conditional jump, which
// skips at most 255 instructions, goes to the last equivalent within reach
// if its target is (merging farther would only trade the copy for a
// trampoline). Copies reached by falling through stay.
func mergeTails(nodes []node) []node {
	n := len(nodes)
	type key struct {
		op     uint16
		k      uint32
		s1, s2 int
	}
	classes := map[key]int{}
	class := make([]int, n)
	var members [][]int // members[c]: the instructions of class c, descending
	for i := n - 1; i >= 0; i-- {
		nd := nodes[i]
		if isJA(nd.op) {
			class[i] = class[nd.t]
			continue
		}
		kk := key{op: nd.op, k: nd.k, s1: -1, s2: -1}
		_, _, s1, s2 := succ(nodes, i)
		if s1 >= 0 && s1 < n {
			kk.s1 = class[s1]
		}
		if s2 >= 0 && s2 < n {
			kk.s2 = class[s2]
		}
		c, ok := classes[kk]
		if !ok {
			c = len(members)
			classes[kk] = c
			members = append(members, nil)
		}
		members[c] = append(members[c], i)
		class[i] = c
	}
	out := slices.Clone(nodes)
	mixed := make([]bool, n)
	retarget := func(from, t int, cond bool) int {
		m := members[class[t]]
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
func removeRedundantLoads(nodes []node) []node {
	state := loadState(len(nodes), func(i int) (uint16, uint32, int, int) { return succ(nodes, i) })
	drop := make([]bool, len(nodes))
	for i, nd := range nodes {
		drop[i] = nd.op == BPF_LD|BPF_W|BPF_ABS && state[i] == int(nd.k)
	}
	return remove(nodes, drop)
}
