package bpf

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

func mustAssemble(t testing.TB, text string) Program {
	t.Helper()
	p, err := Assemble(text)
	if err != nil {
		t.Fatalf("assemble: %v\n%s", err, text)
	}
	return p
}

// nodesOf assembles text, one instruction a line, into the optimizer's
// form; a comment is the instruction's note.
func nodesOf(t testing.TB, text string) []node {
	t.Helper()
	f, err := Symbolic(mustAssemble(t, text))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := f.nodes()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(trimLines(text), "\n") {
		if _, note, ok := strings.Cut(l, ";"); ok {
			nodes[i].note = strings.TrimSpace(note)
		}
	}
	return nodes
}

// textOf prints nodes (whose jumps are all in reach) without index column
// and comments, one instruction a line.
func textOf(nodes []node) string {
	p, notes := encode(nodes)
	var lines []string
	for i, ins := range p {
		s := insnText(i, ins)
		if notes[i] != "" {
			s += " ; " + notes[i]
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

// trimLines removes indentation and blank lines of a test's expectation.
func trimLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// runNodes is a reference interpreter for the symbolic form (absolute
// targets, no reach limit), written independently of VM.Run.
func runNodes(nodes []node, data []byte, order binary.ByteOrder) uint32 {
	var a, x uint32
	var m [16]uint32
	for pc := 0; ; {
		nd := nodes[pc]
		operand := nd.k
		if nd.op&BPF_X != 0 {
			operand = x
		}
		next := pc + 1
		switch class(nd.op) {
		case BPF_LD:
			switch mode(nd.op) {
			case BPF_ABS:
				a = order.Uint32(data[nd.k : nd.k+4])
			case BPF_LEN:
				a = 64
			case BPF_MEM:
				a = m[nd.k]
			default:
				a = nd.k
			}
		case BPF_LDX:
			switch mode(nd.op) {
			case BPF_LEN:
				x = 64
			case BPF_MEM:
				x = m[nd.k]
			default:
				x = nd.k
			}
		case BPF_ST:
			m[nd.k] = a
		case BPF_STX:
			m[nd.k] = x
		case BPF_ALU:
			switch aluOp(nd.op) {
			case BPF_ADD:
				a += operand
			case BPF_SUB:
				a -= operand
			case BPF_MUL:
				a *= operand
			case BPF_DIV:
				if operand == 0 {
					return 0
				}
				a /= operand
			case BPF_AND:
				a &= operand
			case BPF_OR:
				a |= operand
			case BPF_XOR:
				a ^= operand
			case BPF_LSH:
				a <<= operand % 32
			case BPF_RSH:
				a >>= operand % 32
			case BPF_NEG:
				a = 0 - a
			}
		case BPF_MISC:
			if nd.op == BPF_MISC|BPF_TAX {
				x = a
			} else {
				a = x
			}
		case BPF_JMP:
			var c bool
			switch aluOp(nd.op) {
			case BPF_JA:
				c = true
			case BPF_JEQ:
				c = a == operand
			case BPF_JGT:
				c = a > operand
			case BPF_JGE:
				c = a >= operand
			case BPF_JSET:
				c = a&operand != 0
			}
			if c {
				next = nd.t
			} else {
				next = nd.f
			}
		case BPF_RET:
			if nd.op == BPF_RET|BPF_A {
				return a
			}
			return nd.k
		}
		pc = next
	}
}

// pools of "interesting" constants, so that random comparisons hit.
var constPool = []uint32{0, 1, 2, 3, 4, 59, 64, 0xff, 0x7fffffff, 0x80000000, 0xc000003e, 0xffffffff}

var retPool = []uint32{retAllow, retKillProcess, retErrno | 1, retErrno | 2, retTrap, retLog}

// randomInsn returns a random instruction seccomp allows, at index i of a
// program of n instructions (i < n-1), jumping at most reach ahead.
func randomInsn(r *rand.Rand, i, n, reach int) Instruction {
	target := func() uint8 { return uint8(r.IntN(min(n-1-i, reach))) }
	c := func() uint32 {
		if r.IntN(4) == 0 {
			return r.Uint32()
		}
		return constPool[r.IntN(len(constPool))]
	}
	switch r.IntN(20) {
	case 0, 1, 2, 3:
		return Instruction{Op: BPF_LD | BPF_W | BPF_ABS, K: uint32(4 * r.IntN(16))}
	case 4, 5, 6, 7:
		ops := []uint16{BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET}
		op := BPF_JMP | ops[r.IntN(len(ops))]
		if r.IntN(5) == 0 {
			return Instruction{Op: op | BPF_X, Jt: target(), Jf: target()}
		}
		return Instruction{Op: op, Jt: target(), Jf: target(), K: c()}
	case 8:
		return Instruction{Op: BPF_JMP | BPF_JA, K: uint32(target())}
	case 9, 10:
		return Instruction{Op: BPF_RET | BPF_K, K: retPool[r.IntN(len(retPool))]}
	case 11:
		return Instruction{Op: BPF_RET | BPF_A}
	case 12, 13:
		ops := []uint16{BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH}
		op := ops[r.IntN(len(ops))]
		if r.IntN(3) == 0 {
			return Instruction{Op: BPF_ALU | op | BPF_X}
		}
		k := c()
		switch op {
		case BPF_DIV:
			k = max(k, 1)
		case BPF_LSH, BPF_RSH:
			k %= 32
		}
		return Instruction{Op: BPF_ALU | op | BPF_K, K: k}
	case 14:
		return Instruction{Op: BPF_ALU | BPF_NEG}
	case 15:
		ops := []uint16{BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN}
		return Instruction{Op: ops[r.IntN(len(ops))]}
	case 16:
		return Instruction{Op: BPF_LD | BPF_IMM, K: c()}
	case 17:
		return Instruction{Op: BPF_LDX | BPF_IMM, K: c()}
	case 18:
		ops := []uint16{BPF_ST, BPF_STX}
		return Instruction{Op: ops[r.IntN(2)], K: uint32(r.IntN(4))}
	default:
		ops := []uint16{BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM}
		return Instruction{Op: ops[r.IntN(2)], K: uint32(r.IntN(4))}
	}
}

// randomProgram returns a random valid program of n instructions.
func randomProgram(r *rand.Rand, n, reach int) Program {
	for {
		p := make(Program, n)
		for i := range n - 1 {
			p[i] = randomInsn(r, i, n, reach)
		}
		p[n-1] = Instruction{Op: BPF_RET | BPF_K, K: retPool[r.IntN(len(retPool))]}
		if r.IntN(4) == 0 {
			p[n-1] = Instruction{Op: BPF_RET | BPF_A}
		}
		// Turn reads of scratch memory the kernel may find unwritten into
		// immediate loads, one at a time (each changes what follows).
		for {
			err := p.Validate()
			if err == nil {
				return p
			}
			ve, ok := err.(*ValidationError)
			if !ok || ve.Index < 0 || !strings.Contains(ve.Reason, "read before") {
				panic(err)
			}
			p[ve.Index].Op = p[ve.Index].Op&BPF_LDX | BPF_IMM
		}
	}
}

// randomData returns seccomp_data whose words mostly come from constPool.
func randomData(r *rand.Rand) []byte {
	b := make([]byte, SeccompDataSize)
	for i := 0; i < len(b); i += 4 {
		v := r.Uint32()
		if r.IntN(4) != 0 {
			v = constPool[r.IntN(len(constPool))]
		}
		binary.LittleEndian.PutUint32(b[i:], v)
	}
	return b
}
