package inspect

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/syscage/syscage/bpf"
)

// ErrNotProven is what a *NotProvenError wraps: Compare found no
// difference but cannot show that there is none.
var ErrNotProven = errors.New("cannot prove the filters equal")

// NotProvenError says where a filter leaves what Compare decides exactly.
type NotProvenError struct {
	// Stack is 0 for Compare's first stack, 1 for the second; Filter is
	// the filter's index in it and PC the instruction, or -1 when the
	// limit is not one instruction's (then Filter is -1 too).
	Stack, Filter, PC int
	// Instruction is the text of the instruction at PC.
	Instruction string
	Reason      string
}

func (e *NotProvenError) Error() string {
	if e.PC < 0 {
		return fmt.Sprintf("%v: %s", ErrNotProven, e.Reason)
	}
	side := [2]string{"first", "second"}[e.Stack]
	return fmt.Sprintf("%v: instruction %d (%s) of filter %d of the %s: %s", ErrNotProven, e.PC, e.Instruction, e.Filter, side, e.Reason)
}

func (e *NotProvenError) Unwrap() error { return ErrNotProven }

// The prover. Compare runs the stacks on chosen inputs; that is a proof
// of equality only when every input it does not try behaves as one it
// tries. The prover makes sure of it: an abstract interpretation of every
// program gives, for every register and scratch cell at every
// instruction, the set of functions of the input it may hold, each a
// function of one 32-bit word of seccomp_data (or a constant), as 32
// decision diagrams over the word's bits. Every comparison a program
// makes is then a predicate on one word; the predicates of a word cut its
// 2^32 values into classes (atoms) that no program tells apart, and
// Compare tries one value of each class. Because a program's path, and so
// its verdict, depends only on the classes of the words it reads, the
// search from one input to another that changes one read word at a time
// (compareCall) reaches every path pair. Where this does not hold, the
// prover gives up and names the instruction: a value computed from two
// different words (A op X, a jump comparing A with X), a verdict computed
// from the input (ret a), or diagrams or classes beyond their budgets.

const (
	maxValues  = 32      // functions a register may hold at one instruction
	maxNodes   = 1 << 16 // decision diagram nodes in all
	maxClasses = 4096    // classes of one word that are not intervals
	maxAtoms   = 1 << 16 // class×interval pairs examined for one word
)

// sval is what a register holds: a constant (word == wConst), a function
// of input word word, or something Compare cannot follow (word == wTop,
// made at instruction pc for reason why).
type sval struct {
	word int8
	bits *vec // interned: equal functions, equal pointers
	pc   int
	why  string
}

const (
	wConst = -1
	wTop   = -2
)

func (v sval) key() sval {
	if v.word == wTop {
		return sval{word: wTop, pc: v.pc, why: v.why}
	}
	return sval{word: v.word, bits: v.bits}
}

type vset []sval

func (s vset) add(v sval, pc int) vset {
	k := v.key()
	for _, x := range s {
		if x.key() == k {
			return s
		}
	}
	if len(s) >= maxValues {
		return vset{{word: wTop, pc: pc, why: fmt.Sprintf("a register may hold more than %d different functions of the input here", maxValues)}}
	}
	return append(s, v)
}

func (s vset) union(t vset, pc int) vset {
	for _, v := range t {
		s = s.add(v, pc)
	}
	return s
}

type astate struct {
	live bool
	a, x vset
	m    [bpf.BPF_MEMWORDS]vset
}

func (s *astate) join(t *astate, pc int) {
	if !t.live {
		return
	}
	if !s.live {
		*s = astate{live: true, a: slices.Clone(t.a), x: slices.Clone(t.x)}
		for i := range t.m {
			s.m[i] = slices.Clone(t.m[i])
		}
		return
	}
	s.a = s.a.union(t.a, pc)
	s.x = s.x.union(t.x, pc)
	for i := range s.m {
		s.m[i] = s.m[i].union(t.m[i], pc)
	}
}

// prover collects the predicates of every word.
type prover struct {
	b *bdd
	// splits are the starts of the intervals the programs' comparisons
	// of a word as it is (ld [k]; jeq/jgt/jge) cut it into.
	splits [16]map[uint32]bool
	// preds are the other predicates on a word.
	preds [16][]bddRef
	seen  [16]map[bddRef]bool
	id    *vec
	vecs  map[vec]*vec
	limit *NotProvenError
}

func (p *prover) intern(v vec) *vec {
	if q, ok := p.vecs[v]; ok {
		return q
	}
	q := &v
	p.vecs[v] = q
	return q
}

func newProver() *prover {
	p := &prover{b: newBDD(maxNodes), vecs: map[vec]*vec{}}
	p.id = p.intern(p.b.identity())
	for i := range p.splits {
		p.splits[i] = map[uint32]bool{0: true}
		p.seen[i] = map[bddRef]bool{}
	}
	return p
}

func (p *prover) fail(stack, filter, pc int, prog bpf.Program, reason string) {
	if p.limit != nil {
		return
	}
	p.limit = &NotProvenError{Stack: stack, Filter: filter, PC: pc, Instruction: insText(prog, pc), Reason: reason}
}

// insText is instruction pc of prog as the disassembler writes it (jump
// targets absolute), without its index and comment.
func insText(prog bpf.Program, pc int) string {
	for _, line := range strings.Split(bpf.Disassemble(prog, bpf.DisasmOptions{}), "\n") {
		n, text, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if !ok || n != strconv.Itoa(pc) {
			continue
		}
		if before, _, ok := strings.Cut(text, ";"); ok {
			text = before
		}
		return strings.TrimSpace(text)
	}
	return fmt.Sprintf("opcode %#x", prog[pc].Op)
}

func (p *prover) pred(word int8, f bddRef) {
	if f == bddFalse || f == bddTrue || p.seen[word][f] {
		return
	}
	p.seen[word][f] = true
	p.preds[word] = append(p.preds[word], f)
}

// analyze runs the abstract interpretation of one program, adding its
// predicates. It returns false when the program leaves what the prover
// covers (p.limit says where).
func (p *prover) analyze(stack, filter int, prog bpf.Program) (ok bool) {
	at := 0
	defer func() {
		if r := recover(); r != nil {
			if _, big := r.(errBDDSize); !big {
				panic(r)
			}
			p.limit = nil
			p.fail(stack, filter, at, prog, fmt.Sprintf("what the filter computes here needs more than %d decision diagram nodes to follow exactly", maxNodes))
			ok = false
		}
	}()
	b := p.b
	zero := sval{word: wConst, bits: p.intern(b.constVec(0))}
	states := make([]astate, len(prog))
	states[0] = astate{live: true, a: vset{zero}, x: vset{zero}}
	for i := range states[0].m {
		states[0].m[i] = vset{zero}
	}
	constant := func(k uint32) vset { return vset{{word: wConst, bits: p.intern(b.constVec(k))}} }
	for pc, ins := range prog {
		at = pc
		st := states[pc]
		states[pc] = astate{} // jumps go forward: no longer needed
		if !st.live {
			continue
		}
		bad := func(reason string) bool {
			p.fail(stack, filter, pc, prog, reason)
			return false
		}
		// tops reports a value Compare cannot follow reaching a use.
		tops := func(s vset) bool {
			for _, v := range s {
				if v.word == wTop {
					return bad(fmt.Sprintf("%s (at instruction %d)", v.why, v.pc))
				}
			}
			return true
		}
		next := st
		next.a, next.x = slices.Clone(st.a), slices.Clone(st.x)
		k := ins.K
		op := ins.Op
		switch {
		case op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS:
			next.a = vset{{word: int8(k / 4), bits: p.id}}
		case op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_LEN:
			next.a = constant(bpf.SeccompDataSize)
		case op == bpf.BPF_LDX|bpf.BPF_W|bpf.BPF_LEN:
			next.x = constant(bpf.SeccompDataSize)
		case op == bpf.BPF_LD|bpf.BPF_IMM:
			next.a = constant(k)
		case op == bpf.BPF_LDX|bpf.BPF_IMM:
			next.x = constant(k)
		case op == bpf.BPF_LD|bpf.BPF_MEM:
			next.a = slices.Clone(st.m[k])
		case op == bpf.BPF_LDX|bpf.BPF_MEM:
			next.x = slices.Clone(st.m[k])
		case op == bpf.BPF_ST:
			next.m[k] = slices.Clone(st.a)
		case op == bpf.BPF_STX:
			next.m[k] = slices.Clone(st.x)
		case op == bpf.BPF_MISC|bpf.BPF_TAX:
			next.x = slices.Clone(st.a)
		case op == bpf.BPF_MISC|bpf.BPF_TXA:
			next.a = slices.Clone(st.x)
		case op == bpf.BPF_ALU|bpf.BPF_NEG:
			next.a = nil
			for _, v := range st.a {
				if v.word != wTop {
					v.bits = p.intern(b.neg(*v.bits))
				}
				next.a = next.a.add(v, pc)
			}
		case op&0x07 == bpf.BPF_ALU:
			operands := constant(k)
			if op&bpf.BPF_X != 0 {
				operands = st.x
			}
			alu := op & 0xf0
			if alu == bpf.BPF_DIV || alu == bpf.BPF_MOD {
				// Dividing by zero ends the filter with 0: a
				// predicate on the divisor's word.
				for _, y := range operands {
					switch {
					case y.word == wTop:
						return bad(fmt.Sprintf("divides by %s (at instruction %d)", y.why, y.pc))
					case y.word >= 0:
						p.pred(y.word, b.eq(*y.bits, b.constVec(0)))
					}
				}
			}
			next.a = nil
			for _, x := range st.a {
				for _, y := range operands {
					next.a = next.a.add(p.alu(alu, x, y, pc), pc)
				}
			}
		case op == bpf.BPF_JMP|bpf.BPF_JA:
			states[pc+1+int(k)].join(&next, pc+1+int(k))
			continue
		case op&0x07 == bpf.BPF_JMP:
			operands := constant(k)
			if op&bpf.BPF_X != 0 {
				operands = st.x
			}
			if !tops(st.a) || !tops(operands) {
				return false
			}
			for _, x := range st.a {
				for _, y := range operands {
					if !p.jump(op&0xf0, x, y) {
						return bad(fmt.Sprintf("compares values computed from two different input words (%s and %s)", wordName(x.word), wordName(y.word)))
					}
				}
			}
			states[pc+1+int(ins.Jt)].join(&next, pc+1+int(ins.Jt))
			states[pc+1+int(ins.Jf)].join(&next, pc+1+int(ins.Jf))
			continue
		case op == bpf.BPF_RET|bpf.BPF_K:
			continue
		case op == bpf.BPF_RET|bpf.BPF_A:
			if !tops(st.a) {
				return false
			}
			for _, v := range st.a {
				if v.word >= 0 {
					return bad(fmt.Sprintf("returns a value computed from %s", wordName(v.word)))
				}
			}
			continue
		default:
			return bad(fmt.Sprintf("opcode %#x is not one the prover knows", op))
		}
		if pc+1 < len(prog) {
			states[pc+1].join(&next, pc+1)
		}
	}
	return true
}

// wordName names a 32-bit word of seccomp_data by its offset.
func wordName(w int8) string {
	switch w {
	case 0:
		return "the system-call number"
	case 1:
		return "the architecture"
	case 2, 3:
		return fmt.Sprintf("the instruction pointer (word at %d)", 4*int(w))
	}
	return fmt.Sprintf("args[%d] (word at %d)", (w-4)/2, 4*int(w))
}

// alu is x op y on abstract values.
func (p *prover) alu(op uint16, x, y sval, pc int) sval {
	if x.word == wTop {
		return x
	}
	if y.word == wTop {
		return y
	}
	w := x.word
	if w == wConst {
		w = y.word
	} else if y.word != wConst && y.word != w {
		return sval{word: wTop, pc: pc, why: fmt.Sprintf("a value computed from two different input words (%s and %s)", wordName(x.word), wordName(y.word))}
	}
	b := p.b
	xb, yb := *x.bits, *y.bits
	var r vec
	switch op {
	case bpf.BPF_ADD:
		r = b.add(xb, yb, bddFalse)
	case bpf.BPF_SUB:
		r = b.sub(xb, yb)
	case bpf.BPF_MUL:
		if k, ok := isConst(yb); ok && k&(k-1) == 0 && k != 0 {
			r = shlConst(xb, uint(bits.TrailingZeros32(k)))
		} else {
			r = b.mul(xb, yb)
		}
	case bpf.BPF_DIV:
		if k, ok := isConst(yb); ok && k&(k-1) == 0 && k != 0 {
			r = shrConst(xb, uint(bits.TrailingZeros32(k)))
		} else {
			r = b.div(xb, yb)
		}
	case bpf.BPF_AND:
		r = b.bitwise(opAnd, xb, yb)
	case bpf.BPF_OR:
		r = b.bitwise(opOr, xb, yb)
	case bpf.BPF_XOR:
		r = b.bitwise(opXor, xb, yb)
	case bpf.BPF_LSH:
		if k, ok := isConst(yb); ok {
			r = shlConst(xb, uint(k&31))
		} else {
			r = b.shift(xb, yb, true)
		}
	case bpf.BPF_RSH:
		if k, ok := isConst(yb); ok {
			r = shrConst(xb, uint(k&31))
		} else {
			r = b.shift(xb, yb, false)
		}
	default: // BPF_MOD, refused by the kernel and by Validate
		return sval{word: wTop, pc: pc, why: fmt.Sprintf("ALU operation %#x", op)}
	}
	if _, ok := isConst(r); ok {
		w = wConst
	}
	return sval{word: w, bits: p.intern(r)}
}

// jump records the predicate of a conditional jump of kind op between x
// (in A) and y (K or X). It returns false when the two are functions of
// different words.
func (p *prover) jump(op uint16, x, y sval) bool {
	if x.word == wConst && y.word == wConst {
		return true
	}
	if x.word >= 0 && y.word >= 0 && x.word != y.word {
		return false
	}
	w := x.word
	if w == wConst {
		w = y.word
	}
	// The common case: the word as it is, against a constant. (Not for
	// the architecture, whose values are few and whose classes must be
	// exact: every class of values no ABI has is tried on its own.)
	if op != bpf.BPF_JSET && w != 1 {
		if k, ok := isConst(*y.bits); ok && x.bits == p.id {
			switch op {
			case bpf.BPF_JEQ:
				p.splits[w][k], p.splits[w][k+1] = true, true
			case bpf.BPF_JGT:
				p.splits[w][k+1] = true
			case bpf.BPF_JGE:
				p.splits[w][k] = true
			}
			return true
		}
		if k, ok := isConst(*x.bits); ok && y.bits == p.id {
			switch op {
			case bpf.BPF_JEQ:
				p.splits[w][k], p.splits[w][k+1] = true, true
			case bpf.BPF_JGT: // k > w
				p.splits[w][k] = true
			case bpf.BPF_JGE: // k >= w
				p.splits[w][k+1] = true
			}
			return true
		}
	}
	b := p.b
	var f bddRef
	switch op {
	case bpf.BPF_JEQ:
		f = b.eq(*x.bits, *y.bits)
	case bpf.BPF_JGT:
		f = b.gt(*x.bits, *y.bits)
	case bpf.BPF_JGE:
		f = b.ge(*x.bits, *y.bits)
	case bpf.BPF_JSET:
		f = b.jset(*x.bits, *y.bits)
	}
	p.pred(w, f)
	return true
}

// witnesses returns values of word w, one in every class of the word's
// predicates that none of have is in, and that exclude does not hold for
// (bddFalse to exclude nothing). ok is false when the classes are beyond
// the budget (p.limit says so).
func (p *prover) witnesses(w int, have []uint32, exclude bddRef) (out []uint32, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, big := r.(errBDDSize); !big {
				panic(r)
			}
			p.limit = &NotProvenError{Filter: -1, PC: -1, Reason: fmt.Sprintf("the classes of values of %s need more than %d decision diagram nodes", wordName(int8(w)), maxNodes)}
			out, ok = nil, false
		}
	}()
	b := p.b
	// Classes of the predicates that are not intervals, by refinement.
	blocks := []bddRef{bddTrue}
	for _, f := range p.preds[w] {
		var nb []bddRef
		for _, c := range blocks {
			for _, d := range []bddRef{b.and(c, f), b.and(c, b.not(f))} {
				if d != bddFalse {
					nb = append(nb, d)
				}
			}
		}
		blocks = nb
		if len(blocks) > maxClasses {
			p.limit = &NotProvenError{Filter: -1, PC: -1, Reason: fmt.Sprintf("the filters tell more than %d classes of values of %s apart", maxClasses, wordName(int8(w)))}
			return nil, false
		}
	}
	starts := make([]uint32, 0, len(p.splits[w]))
	for s := range p.splits[w] {
		starts = append(starts, s)
	}
	slices.Sort(starts)
	if len(blocks)*len(starts) > maxAtoms {
		p.limit = &NotProvenError{Filter: -1, PC: -1, Reason: fmt.Sprintf("the filters tell more than %d classes of values of %s apart", maxAtoms, wordName(int8(w)))}
		return nil, false
	}
	segment := func(v uint32) int {
		i, found := slices.BinarySearch(starts, v)
		if !found {
			i--
		}
		return i
	}
	block := func(v uint32) int {
		for i, c := range blocks {
			if b.eval(c, v) {
				return i
			}
		}
		return -1 // unreachable: the blocks cover every value
	}
	type atom struct{ block, seg int }
	covered := map[atom]bool{}
	for _, v := range have {
		if exclude == bddFalse || !b.eval(exclude, v) {
			covered[atom{block(v), segment(v)}] = true
		}
	}
	for bi, c := range blocks {
		for si, lo := range starts {
			if covered[atom{bi, si}] {
				continue
			}
			if c == bddTrue && (exclude == bddFalse || !b.eval(exclude, lo)) {
				out = append(out, lo)
				continue
			}
			hi := uint32(0xffffffff)
			if si+1 < len(starts) {
				hi = starts[si+1] - 1
			}
			f := b.and(c, b.interval(lo, hi))
			if exclude != bddFalse {
				f = b.and(f, b.not(exclude))
			}
			if f != bddFalse {
				out = append(out, b.minValue(f))
			}
		}
	}
	return out, true
}
