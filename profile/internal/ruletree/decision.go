package ruletree

import "fmt"

// Decision is the argument check of one system call as a decision
// diagram: each node compares one 32-bit word of one argument and goes on
// to one of two nodes, until a leaf gives the action. It is what the BPF
// that libseccomp generates from its rule tree computes, with shared
// subtrees kept shared: its size grows with the rules, not with the
// paths through them, so rules that would flatten into millions of
// CondRules (many NE conditions, say) still make a small diagram.
//
// Nodes are unique: two nodes with the same test and the same successors
// are one node, and no node has two equal successors.
type Decision struct {
	Leaf   bool
	Action Action // of a leaf
	Origin int    // of a leaf: the profile rule, or DecidedByDefault

	Word        Word
	Op          Op     // OpEQ, OpGT or OpGE, of Word & Mask against Datum
	Mask        uint32 // 0xffffffff when the word is compared whole
	Datum       uint32
	True, False *Decision
}

// Word names a 32-bit half of an argument. On 32-bit ABIs only the low
// word exists.
type Word struct {
	Arg uint8
	Hi  bool
}

// Decide runs d on args (the full 64-bit arguments; on 32-bit ABIs their
// low words are compared).
func (d *Decision) Decide(args [6]uint64) Action {
	for !d.Leaf {
		v := args[d.Word.Arg]
		w := uint32(v)
		if d.Word.Hi {
			w = uint32(v >> 32)
		}
		w &= d.Mask
		var t bool
		switch d.Op {
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
func (d *Decision) Size() int {
	seen := map[*Decision]bool{}
	var walk func(*Decision)
	walk = func(n *Decision) {
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
}

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
	if t == f {
		return t, nil
	}
	op := n.op
	if op == OpMaskedEQ {
		op = OpEQ
	}
	k := decisionKey{Word{n.arg, n.hi}, op, n.mask, n.datum, t, f}
	if d := b.uniq[k]; d != nil {
		return d, nil
	}
	b.nodes++
	if b.nodes > maxDecision {
		return nil, errDecisionSize
	}
	d := &Decision{Word: k.w, Op: op, Mask: n.mask, Datum: n.datum, True: t, False: f}
	b.uniq[k] = d
	return d, nil
}

// decision returns the Decision of the tree chains with fallback def: the
// program _gen_bpf_chain emits, where a level tries its nodes in order, a
// branch with a next level runs it and falls through to the next node of
// its own level when nothing there decides, a branch with an action
// decides, and a branch with neither falls through at once.
func decision(chains *node, def Action) (*Decision, error) {
	b := &decisionBuilder{
		uniq:   map[decisionKey]*Decision{},
		leaves: map[Action]*Decision{},
		memo:   map[contKey]*Decision{},
	}
	return b.level(first(chains), b.leaf(def, DecidedByDefault))
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
	branch := func(next *node, has bool, act Action, orig int) (*Decision, error) {
		switch {
		case next != nil:
			return b.level(first(next), rest)
		case has:
			return b.leaf(act, orig), nil
		}
		return rest, nil
	}
	t, err := branch(n.nxtT, n.hasT, n.actT, n.origT)
	if err != nil {
		return nil, err
	}
	f, err := branch(n.nxtF, n.hasF, n.actF, n.origF)
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
