package bpf

// Data flow over a program whose jumps all go forward, so one pass in
// instruction order sees every predecessor before its successors.

// unknown is the state of A when it does not hold a known seccomp_data word.
const unknown = -1

// loadState returns, for each instruction, the offset of the seccomp_data
// word A holds on every path reaching it (from an ld [k] not overwritten
// since), or unknown. Unreachable instructions get unknown. at returns
// instruction i and its successors (-1: none; out-of-range ones are
// ignored).
func loadState(n int, at func(i int) (op uint16, k uint32, s1, s2 int)) []int {
	in := make([]int, n)
	seen := make([]bool, n)
	if n > 0 {
		in[0], seen[0] = unknown, true // A starts as 0
	}
	for i := range n {
		if !seen[i] {
			in[i] = unknown
		}
		op, k, s1, s2 := at(i)
		out := in[i]
		switch {
		case op == BPF_LD|BPF_W|BPF_ABS:
			out = int(k)
		case class(op) == BPF_LD, class(op) == BPF_ALU, op == BPF_MISC|BPF_TXA:
			out = unknown
		}
		for _, s := range [2]int{s1, s2} {
			if s <= i || s >= n {
				continue
			}
			if !seen[s] {
				in[s], seen[s] = out, true
			} else if in[s] != out {
				in[s] = unknown
			}
		}
	}
	return in
}

// successors of an instruction of a program, by its encoded offsets.
func (p Program) at(i int) (uint16, uint32, int, int) {
	ins := p[i]
	switch {
	case isJA(ins.Op):
		t := uint64(i) + 1 + uint64(ins.K)
		if t >= uint64(len(p)) {
			return ins.Op, ins.K, -1, -1
		}
		return ins.Op, ins.K, int(t), -1
	case isCond(ins.Op):
		return ins.Op, ins.K, i + 1 + int(ins.Jt), i + 1 + int(ins.Jf)
	case class(ins.Op) == BPF_RET:
		return ins.Op, ins.K, -1, -1
	}
	return ins.Op, ins.K, i + 1, -1
}
