package seccomp

import (
	"fmt"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// argOffsets returns the seccomp_data offsets of the low and high 32-bit
// words of argument i on a: the kernel stores each argument as a u64 in
// the ABI's byte order.
func argOffsets(a arch.Arch, i uint8) (lo, hi uint32) {
	base := OffsetArgs + 8*uint32(i)
	if a.BigEndian() {
		return base + 4, base
	}
	return base, base + 4
}

// condCode emits the argument checks of a conditional system call: its
// rules in order, the first whose conditions all hold deciding, and the
// fallback when none does. A run of rules that each test one argument for
// equality (Docker's personality values, say) shares its loads: see
// eqRun.
//
// The rules are not always the shorter code: when they are missing (too
// many to list) or longer than the entry's Decision, which keeps the
// shared parts of libseccomp's rule tree shared, the Decision is emitted
// instead (decisionCode).
func (c *compiler) condCode(a arch.Arch, e profile.Entry) {
	if e.Decision != nil && (c.o.decisions || len(e.Rules) == 0 || rulesCost(a, e.Rules) > decisionCost(a, e.Decision)) {
		c.decisionCode(a, e)
		return
	}
	b := c.b
	for i := 0; i < len(e.Rules); {
		if n := eqRunLen(e.Rules[i:]); n > 1 {
			c.eqRun(a, e, e.Rules[i:i+n])
			i += n
			continue
		}
		r := e.Rules[i]
		i++
		c.ruleNote(a, e, r)
		pass := c.ret(r.Action)
		if len(r.Conds) == 0 {
			// A rule without conditions decides every call that reaches
			// it; later rules are unreachable.
			b.Goto(pass)
			return
		}
		next := b.NewLabel()
		for j, cond := range r.Conds {
			ok := pass
			if j < len(r.Conds)-1 {
				ok = b.NewLabel()
			}
			c.cmp(a, cond, ok, next)
			if j < len(r.Conds)-1 {
				b.Bind(ok)
			}
		}
		b.Bind(next)
	}
	b.SetNote(fmt.Sprintf("%s: %s no rule matched", a, e.Name))
	b.Goto(c.ret(e.Fallback))
}

func (c *compiler) ruleNote(a arch.Arch, e profile.Entry, r profile.CondRule) {
	c.b.SetNote(fmt.Sprintf("%s: %s rule %d", a, e.Name, r.Origin+1))
}

// eqRunLen returns how many rules from the first on test the same
// argument for equality and nothing else.
func eqRunLen(rules []profile.CondRule) int {
	n := 0
	for _, r := range rules {
		if len(r.Conds) != 1 || r.Conds[0].Op != profile.OpEQ || r.Conds[0].Arg != rules[0].Conds[0].Arg {
			break
		}
		n++
	}
	return n
}

// eqRun emits a run of rules that each test one argument for equality
// with a value. At most one value can match, so only the first rule of
// each value matters and the order of the tests does not: the high word
// is loaded once and compared with each distinct high word, and under
// each the low word is loaded once and compared with the values that have
// it. A call that matches no value goes on to the rules after the run.
// 32-bit ABIs compare the low word only.
func (c *compiler) eqRun(a arch.Arch, e profile.Entry, rules []profile.CondRule) {
	b := c.b
	loOff, hiOff := argOffsets(a, rules[0].Conds[0].Arg)
	wide := a.Bits() == 64
	type eqGroup struct {
		hi    uint32
		rules []profile.CondRule
	}
	var groups []*eqGroup
	seen := make(map[uint64]bool, len(rules))
	for _, r := range rules {
		v := r.Conds[0].Value
		if !wide {
			v &= 0xffffffff
		}
		if seen[v] {
			continue // an earlier rule has decided this value
		}
		seen[v] = true
		hi := uint32(v >> 32)
		var g *eqGroup
		for _, h := range groups {
			if h.hi == hi {
				g = h
			}
		}
		if g == nil {
			g = &eqGroup{hi: hi}
			groups = append(groups, g)
		}
		g.rules = append(g.rules, r)
	}
	done := b.NewLabel()
	lowChain := func(g *eqGroup) {
		c.ruleNote(a, e, g.rules[0])
		b.LoadAbs(loOff)
		for i, r := range g.rules {
			c.ruleNote(a, e, r)
			next := done
			if i < len(g.rules)-1 {
				next = b.NewLabel()
			}
			b.JumpIf(bpf.BPF_JEQ, uint32(r.Conds[0].Value), c.ret(r.Action), next)
			if i < len(g.rules)-1 {
				b.Bind(next)
			}
		}
	}
	if !wide {
		lowChain(groups[0])
		b.Bind(done)
		return
	}
	c.ruleNote(a, e, rules[0])
	b.LoadAbs(hiOff)
	bodies := make([]bpf.Label, len(groups))
	for i, g := range groups {
		bodies[i] = b.NewLabel()
		c.ruleNote(a, e, g.rules[0])
		next := done
		if i < len(groups)-1 {
			next = b.NewLabel()
		}
		b.JumpIf(bpf.BPF_JEQ, g.hi, bodies[i], next)
		if i < len(groups)-1 {
			b.Bind(next)
		}
	}
	for i, g := range groups {
		b.Bind(bodies[i])
		lowChain(g)
	}
	b.Bind(done)
}

// cmp emits a comparison of one argument that jumps to pass when cond
// holds and to fail otherwise. Arguments are 64-bit and BPF words 32-bit:
// the high word decides unless it is equal, then the low word decides. On
// 32-bit ABIs only the low word is compared, as libseccomp does.
func (c *compiler) cmp(a arch.Arch, cond profile.Cond, pass, fail bpf.Label) {
	b := c.b
	loOff, hiOff := argOffsets(a, cond.Arg)
	v := cond.Value
	if cond.Op == profile.OpMaskedEQ {
		v = cond.ValueTwo & cond.Value
	}
	vlo, vhi := uint32(v), uint32(v>>32)
	wide := a.Bits() == 64
	switch cond.Op {
	case profile.OpEQ, profile.OpNE:
		t, f := pass, fail
		if cond.Op == profile.OpNE {
			t, f = fail, pass
		}
		if wide {
			next := b.NewLabel()
			b.LoadAbs(hiOff)
			b.JumpIf(bpf.BPF_JEQ, vhi, next, f)
			b.Bind(next)
		}
		b.LoadAbs(loOff)
		b.JumpIf(bpf.BPF_JEQ, vlo, t, f)
	case profile.OpMaskedEQ:
		// v is within the mask: a word the mask leaves out always
		// matches and is not loaded.
		m := cond.Value
		mlo, mhi := uint32(m), uint32(m>>32)
		if wide && mhi != 0 {
			next := b.NewLabel()
			b.LoadAbs(hiOff)
			if mhi != 0xffffffff {
				b.And(mhi)
			}
			b.JumpIf(bpf.BPF_JEQ, vhi, next, fail)
			b.Bind(next)
		}
		if mlo == 0 {
			b.Goto(pass)
			return
		}
		b.LoadAbs(loOff)
		if mlo != 0xffffffff {
			b.And(mlo)
		}
		b.JumpIf(bpf.BPF_JEQ, vlo, pass, fail)
	case profile.OpGT, profile.OpGE, profile.OpLT, profile.OpLE:
		// LT is !GE and LE is !GT: swap the targets.
		t, f := pass, fail
		op := uint16(bpf.BPF_JGT)
		switch cond.Op {
		case profile.OpGE:
			op = bpf.BPF_JGE
		case profile.OpLT:
			op, t, f = bpf.BPF_JGE, fail, pass
		case profile.OpLE:
			t, f = fail, pass
		}
		if wide {
			eq, lo := b.NewLabel(), b.NewLabel()
			b.LoadAbs(hiOff)
			b.JumpIf(bpf.BPF_JGT, vhi, t, eq)
			b.Bind(eq)
			b.JumpIf(bpf.BPF_JEQ, vhi, lo, f)
			b.Bind(lo)
		}
		b.LoadAbs(loOff)
		b.JumpIf(op, vlo, t, f)
	default:
		panic(fmt.Sprintf("seccomp: unknown operator %d", cond.Op))
	}
}

// rulesCost estimates the instructions condCode emits for rules: a load
// and a jump per compared word, and a jump more for a range.
func rulesCost(a arch.Arch, rules []profile.CondRule) int {
	words := 1
	if a.Bits() == 64 {
		words = 2
	}
	n := 0
	for _, r := range rules {
		for _, c := range r.Conds {
			n += 2 * words
			switch c.Op {
			case profile.OpGT, profile.OpGE, profile.OpLT, profile.OpLE:
				n += words - 1
			case profile.OpMaskedEQ:
				n += words
			}
		}
	}
	return n
}

// decisionCost returns the instructions decisionCode emits for d on a.
func decisionCost(a arch.Arch, d *profile.Decision) int {
	n := 0
	walkDecision(a, d, func(_ *profile.Decision, load, and bool) {
		n++
		if load {
			n++
		}
		if and {
			n++
		}
	})
	return n
}

// wordOffset returns the seccomp_data offset of word w on a.
func wordOffset(a arch.Arch, w profile.Word) uint32 {
	lo, hi := argOffsets(a, w.Arg)
	if w.Hi {
		return hi
	}
	return lo
}

// decisionCode emits the Decision of a conditional system call: its nodes
// in an order where each comes after every node that jumps to it, each a
// comparison of the accumulator, loaded (and masked) only when the nodes
// that lead to it leave something else in it.
func (c *compiler) decisionCode(a arch.Arch, e profile.Entry) {
	b := c.b
	b.SetNote(fmt.Sprintf("%s: %s arguments", a, e.Name))
	labels := map[*profile.Decision]bpf.Label{}
	label := func(n *profile.Decision) bpf.Label {
		if n.Leaf {
			return c.ret(n.Action)
		}
		l, ok := labels[n]
		if !ok {
			l = b.NewLabel()
			labels[n] = l
		}
		return l
	}
	first := true
	walkDecision(a, e.Decision, func(n *profile.Decision, load, and bool) {
		if !first {
			b.Bind(label(n))
		}
		first = false
		if load {
			b.LoadAbs(wordOffset(a, n.Word))
		}
		if and {
			b.And(n.Mask)
		}
		op := uint16(bpf.BPF_JEQ)
		switch n.Op {
		case profile.OpGT:
			op = bpf.BPF_JGT
		case profile.OpGE:
			op = bpf.BPF_JGE
		}
		b.JumpIf(op, n.Datum, label(n.True), label(n.False))
	})
}

// walkDecision calls emit for the test nodes of d in an order where each
// comes after every node that jumps to it, saying whether the node must
// load its word and and it with its mask first: only when the nodes that
// lead to it leave something else in the accumulator.
func walkDecision(a arch.Arch, d *profile.Decision, emit func(n *profile.Decision, load, and bool)) {
	order := topoOrder(d)
	// acc is what the accumulator holds: word at off, and-ed with mask.
	type acc struct {
		off, mask uint32
		known     bool
	}
	in := make(map[*profile.Decision]acc, len(order))
	seen := make(map[*profile.Decision]bool, len(order))
	flow := func(n *profile.Decision, s acc) {
		if n.Leaf {
			return
		}
		if !seen[n] {
			seen[n] = true
			in[n] = s
		} else if in[n] != s {
			in[n] = acc{}
		}
	}
	for _, n := range order {
		off := wordOffset(a, n.Word)
		s := in[n]
		load, and := false, false
		if !s.known || s.off != off || s.mask&n.Mask != n.Mask {
			load = true
			s = acc{off: off, mask: 0xffffffff, known: true}
		}
		if s.mask != n.Mask {
			and = true
			s.mask = n.Mask
		}
		emit(n, load, and)
		flow(n.True, s)
		flow(n.False, s)
	}
}

// topoOrder returns the test nodes of d, d first, each before the nodes
// it jumps to: a depth-first reverse post-order, false branches first so
// that they tend to follow their node.
func topoOrder(d *profile.Decision) []*profile.Decision {
	var post []*profile.Decision
	seen := map[*profile.Decision]bool{}
	var visit func(n *profile.Decision)
	visit = func(n *profile.Decision) {
		if n.Leaf || seen[n] {
			return
		}
		seen[n] = true
		visit(n.True)
		visit(n.False)
		post = append(post, n)
	}
	visit(d)
	slices.Reverse(post)
	return post
}
