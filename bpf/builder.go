package bpf

import (
	"fmt"
	"slices"
)

// Label names an instruction of a program being built. The zero Label means
// "no label": as a jump target it is the next instruction.
type Label int

// Insn is a symbolic instruction: its jump targets are labels, not offsets.
// For ja the target is True (K is ignored); for a conditional jump True and
// False are the targets when the condition holds or fails, 0 meaning the
// next instruction. Other instructions have no targets. Note says where the instruction came
// from (for example the rule it implements); the disassembler prints it.
type Insn struct {
	Op          uint16
	K           uint32
	True, False Label
	Note        string
}

// Func is a program in symbolic form: instructions and the binding of
// their labels. It is what the builder makes, what the optimizer works on
// and what Link turns into a Program.
type Func struct {
	Insns []Insn
	// Labels[l] is the index in Insns of the instruction label l names, or
	// -1 if l is not bound. Labels[0] is unused.
	Labels []int
}

// Builder builds a program with labels instead of offsets. Bind a label
// before the instruction it names; jump to it from anywhere before.
type Builder struct {
	insns  []Insn
	labels []int
	note   string
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{labels: []int{-1}}
}

// NewLabel returns a new, unbound label.
func (b *Builder) NewLabel() Label {
	if len(b.labels) == 0 {
		b.labels = []int{-1}
	}
	b.labels = append(b.labels, -1)
	return Label(len(b.labels) - 1)
}

// Bind makes l name the next instruction emitted. Several labels may name
// the same instruction. Binding a label twice, or a label this builder did
// not make, is a programming error and panics.
func (b *Builder) Bind(l Label) {
	if l <= 0 || int(l) >= len(b.labels) {
		panic(fmt.Sprintf("bpf: bind of unknown label %d", l))
	}
	if b.labels[l] >= 0 {
		panic(fmt.Sprintf("bpf: label %d bound twice", l))
	}
	b.labels[l] = len(b.insns)
}

// SetNote sets the note of the instructions emitted from now on (unless
// they carry their own).
func (b *Builder) SetNote(s string) { b.note = s }

// Emit appends an instruction. An empty i.Note takes the current note.
func (b *Builder) Emit(i Insn) {
	if i.Note == "" {
		i.Note = b.note
	}
	b.insns = append(b.insns, i)
}

// LoadAbs emits ld [off]: A = the 32-bit word at offset off of seccomp_data.
func (b *Builder) LoadAbs(off uint32) { b.Emit(Insn{Op: BPF_LD | BPF_W | BPF_ABS, K: off}) }

// And emits and #k: A &= k.
func (b *Builder) And(k uint32) { b.Emit(Insn{Op: BPF_ALU | BPF_AND | BPF_K, K: k}) }

// JumpIf emits a conditional jump comparing A with k: op is BPF_JEQ,
// BPF_JGT, BPF_JGE or BPF_JSET, and the instruction is BPF_JMP|op|BPF_K. It
// goes to t if the condition holds and to f otherwise (0: the next
// instruction).
func (b *Builder) JumpIf(op uint16, k uint32, t, f Label) {
	b.Emit(Insn{Op: BPF_JMP | op | BPF_K, K: k, True: t, False: f})
}

// Goto emits ja l.
func (b *Builder) Goto(l Label) { b.Emit(Insn{Op: BPF_JMP | BPF_JA, True: l}) }

// Ret emits ret #k.
func (b *Builder) Ret(k uint32) { b.Emit(Insn{Op: BPF_RET | BPF_K, K: k}) }

// Insns returns a copy of the instructions emitted so far.
func (b *Builder) Insns() []Insn { return slices.Clone(b.insns) }

// Func returns a copy of the program built so far in symbolic form.
func (b *Builder) Func() Func {
	labels := slices.Clone(b.labels)
	if len(labels) == 0 {
		labels = []int{-1}
	}
	return Func{Insns: slices.Clone(b.insns), Labels: labels}
}

// Link resolves the labels of the program built so far; see Func.Link.
func (b *Builder) Link() (Program, []string, error) { return b.Func().Link() }

// Link resolves labels into offsets in one pass and returns the program with
// the note of each instruction. A conditional jump can skip at most 255
// instructions; a farther one is routed through a ja trampoline (ja reaches
// anywhere) placed right after it, where no instruction falls into it, and
// shared by the earlier jumps to the same target within reach. A trampoline
// costs one instruction on that path and changes nothing else, not even the
// kernel's scratch memory check. Backward jumps, unbound labels and
// jumps from non-jump instructions are errors, and the program must pass
// Validate: a program longer than BPF_MAXINSNS is refused with
// "program has N instructions, the kernel allows at most 4096".
func (f Func) Link() (Program, []string, error) {
	nodes, err := f.nodes()
	if err != nil {
		return nil, nil, err
	}
	p, notes := encode(layout(nodes))
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	return p, notes, nil
}

// Symbolic returns p in symbolic form, a label for each jump target. Its
// jumps must stay inside the program.
func Symbolic(p Program) (Func, error) {
	n := len(p)
	nodes := make([]node, n)
	for i, ins := range p {
		nd := node{op: ins.Op, k: ins.K, t: -1, f: -1}
		switch {
		case isJA(ins.Op):
			t := uint64(i) + 1 + uint64(ins.K)
			if t >= uint64(n) {
				return Func{}, fmt.Errorf("instruction %d: jump target %d out of range", i, t)
			}
			nd.t, nd.k = int(t), 0
		case isCond(ins.Op):
			nd.t, nd.f = i+1+int(ins.Jt), i+1+int(ins.Jf)
			if nd.t >= n || nd.f >= n {
				return Func{}, fmt.Errorf("instruction %d: jump target %d out of range", i, max(nd.t, nd.f))
			}
		}
		nodes[i] = nd
	}
	return symbolic(nodes), nil
}

// node is an instruction with absolute jump targets (-1: none; f is -1 for
// ja), the form Link and the optimizer passes work on.
type node struct {
	op   uint16
	k    uint32
	t, f int
	note string
}

// nodes resolves the labels of f.
func (f Func) nodes() ([]node, error) {
	n := len(f.Insns)
	resolve := func(i int, l Label) (int, error) {
		if l == 0 {
			if i+1 >= n {
				return 0, fmt.Errorf("instruction %d: jump past the last instruction", i)
			}
			return i + 1, nil
		}
		if l < 0 || int(l) >= len(f.Labels) {
			return 0, fmt.Errorf("instruction %d: jump to unknown label %d", i, l)
		}
		t := f.Labels[l]
		switch {
		case t < 0:
			return 0, fmt.Errorf("instruction %d: jump to label %d, which is never bound", i, l)
		case t >= n:
			return 0, fmt.Errorf("instruction %d: jump to label %d, which is bound after the last instruction", i, l)
		case t <= i:
			return 0, fmt.Errorf("instruction %d: backward jump to label %d at instruction %d", i, l, t)
		}
		return t, nil
	}
	nodes := make([]node, n)
	for i, ins := range f.Insns {
		nd := node{op: ins.Op, k: ins.K, t: -1, f: -1, note: ins.Note}
		var err error
		switch {
		case isJA(ins.Op):
			if ins.False != 0 {
				return nil, fmt.Errorf("instruction %d: ja has a false target", i)
			}
			nd.k = 0
			nd.t, err = resolve(i, ins.True)
		case isCond(ins.Op):
			if nd.t, err = resolve(i, ins.True); err == nil {
				nd.f, err = resolve(i, ins.False)
			}
		default:
			if ins.True != 0 || ins.False != 0 {
				return nil, fmt.Errorf("instruction %d: %s is not a jump but has a jump target", i, mnemonic(ins.Op))
			}
		}
		if err != nil {
			return nil, err
		}
		nodes[i] = nd
	}
	return nodes, nil
}

// symbolic turns nodes back into a Func, labelling each jump target in
// program order (so the result is deterministic).
func symbolic(nodes []node) Func {
	n := len(nodes)
	target := make([]bool, n+1)
	for i, nd := range nodes {
		switch {
		case isJA(nd.op):
			target[nd.t] = true
		case isCond(nd.op):
			target[nd.t] = target[nd.t] || nd.t != i+1
			target[nd.f] = target[nd.f] || nd.f != i+1
		}
	}
	labelOf := make([]Label, n)
	labels := []int{-1}
	for i := range n {
		if target[i] {
			labelOf[i] = Label(len(labels))
			labels = append(labels, i)
		}
	}
	insns := make([]Insn, n)
	for i, nd := range nodes {
		ins := Insn{Op: nd.op, K: nd.k, Note: nd.note}
		switch {
		case isJA(nd.op):
			ins.True = labelOf[nd.t]
		case isCond(nd.op):
			if nd.t != i+1 {
				ins.True = labelOf[nd.t]
			}
			if nd.f != i+1 {
				ins.False = labelOf[nd.f]
			}
		}
		insns[i] = ins
	}
	return Func{Insns: insns, Labels: labels}
}

// layout places ja trampolines so that every conditional jump skips at most
// 255 instructions, and returns the nodes in their final order with targets
// as indexes.
//
// Jumps are processed from the last to the first. A far edge of jump p goes
// to a ja to the same target within reach if there is one (a trampoline of
// a later jump, or a ja of the program), and otherwise to a new trampoline
// placed right after p. No instruction falls into it (p is a conditional
// jump), it sees the same scratch memory state as p's target did, and later
// insertions, all before p, cannot change any distance from p: one pass
// suffices. Trampolines placed after the last of a run of jumps to the same
// target serve the run.
func layout(nodes []node) []node {
	all := slices.Clone(nodes)     // indexed by id; targets are ids
	order := make([]int, len(all)) // ids in layout order
	pos := make([]int, len(all))   // position of each id
	for i := range order {
		order[i], pos[i] = i, i
	}
	for p := len(order) - 1; p >= 0; p-- {
		id := order[p]
		if !isCond(all[id].op) {
			continue
		}
		// The distinct targets of p, and for each whether it gets a new
		// trampoline (inserted right after p: each moves everything behind
		// p one further) or shares a ja within reach.
		dests := []int{all[id].t}
		if all[id].f != all[id].t {
			dests = append(dests, all[id].f)
		}
		reach := func(dest, extra int) bool { return pos[dest]-p-1+extra <= 255 }
		share := func(dest, extra int) int {
			for q := min(p+256-extra, len(order)-1); q > p; q-- {
				if c := all[order[q]]; isJA(c.op) && c.t == dest {
					return order[q]
				}
			}
			return -1
		}
		fresh := make([]bool, len(dests))
		for k, changed := 0, true; changed; {
			changed = false
			for j, d := range dests {
				if !fresh[j] && !reach(d, k) && share(d, k) < 0 {
					fresh[j], changed = true, true
					k++
				}
			}
		}
		k := 0
		for _, f := range fresh {
			if f {
				k++
			}
		}
		via := make([]int, len(dests))
		for j, d := range dests {
			switch {
			case fresh[j]:
			case reach(d, k):
				via[j] = d
			default:
				via[j] = share(d, k)
			}
		}
		at := p + 1
		for j, d := range dests {
			if fresh[j] {
				via[j] = len(all)
				all = append(all, node{op: BPF_JMP | BPF_JA, t: d, f: -1, note: all[id].note})
				order = slices.Insert(order, at, via[j])
				at++
			}
		}
		all[id].t, all[id].f = via[0], via[len(via)-1]
		if k > 0 {
			pos = slices.Grow(pos[:0], len(all))[:len(all)]
			for q, id := range order {
				pos[id] = q
			}
		}
	}
	out := make([]node, len(order))
	for q, id := range order {
		nd := all[id]
		if nd.t >= 0 {
			nd.t = pos[nd.t]
		}
		if nd.f >= 0 {
			nd.f = pos[nd.f]
		}
		out[q] = nd
	}
	return out
}

// encode turns nodes with in-reach targets into a program and its notes.
func encode(nodes []node) (Program, []string) {
	p := make(Program, len(nodes))
	notes := make([]string, len(nodes))
	for i, nd := range nodes {
		ins := Instruction{Op: nd.op, K: nd.k}
		switch {
		case isJA(nd.op):
			ins.K = uint32(nd.t - i - 1)
		case isCond(nd.op):
			ins.Jt, ins.Jf = uint8(nd.t-i-1), uint8(nd.f-i-1)
		}
		p[i] = ins
		notes[i] = nd.note
	}
	return p, notes
}
