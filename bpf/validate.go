package bpf

import "fmt"

// ValidationError reports why the kernel would refuse a program.
type ValidationError struct {
	// Index is the offending instruction, or -1 for the program as a whole.
	Index int
	// Reason says what is wrong, for example "jump target 300 out of range".
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Index < 0 {
		return e.Reason
	}
	return fmt.Sprintf("instruction %d: %s", e.Index, e.Reason)
}

// Validate reports whether the kernel would accept p as a seccomp filter. It
// makes exactly the checks of bpf_check_classic (net/core/filter.c) followed
// by seccomp_check_filter (kernel/seccomp.c):
//
//   - 1 to BPF_MAXINSNS instructions;
//   - only the opcodes seccomp allows: no ldh/ldb, no indirect loads, no
//     ldxb 4*([k]&0xf), no mod, no ret x, no extensions;
//   - ld [k] with k a multiple of 4 below 64, the size of seccomp_data;
//   - no division by the constant 0, no shift by a constant of 32 or more;
//   - scratch memory indexes below BPF_MEMWORDS;
//   - jump targets inside the program (jumps only go forward);
//   - the last instruction is a ret;
//   - no scratch memory cell is read before it is written, by the kernel's
//     own linear approximation of every path (check_load_and_stores).
//
// The error is a *ValidationError naming the first offending instruction.
func (p Program) Validate() error {
	n := len(p)
	if n == 0 {
		return &ValidationError{Index: -1, Reason: "program has no instructions"}
	}
	if n > BPF_MAXINSNS {
		return &ValidationError{Index: -1, Reason: fmt.Sprintf("program has %d instructions, the kernel allows at most %d", n, BPF_MAXINSNS)}
	}
	for pc, ins := range p {
		if r := checkOperands(ins.Op, ins.K); r != "" {
			return &ValidationError{Index: pc, Reason: r}
		}
		var targets []uint64
		switch {
		case isJA(ins.Op):
			targets = []uint64{uint64(pc) + 1 + uint64(ins.K)}
		case isCond(ins.Op):
			targets = []uint64{uint64(pc) + 1 + uint64(ins.Jt), uint64(pc) + 1 + uint64(ins.Jf)}
		}
		for _, t := range targets {
			if t >= uint64(n) {
				return &ValidationError{Index: pc, Reason: fmt.Sprintf("jump target %d out of range (program has %d instructions)", t, n)}
			}
		}
	}
	if !isRet(p[n-1].Op) {
		return &ValidationError{Index: n - 1, Reason: fmt.Sprintf("last instruction must be a ret, not %s", mnemonic(p[n-1].Op))}
	}
	if pc, cell := memCheck(n, func(i int) (uint16, uint32, int, int) {
		ins := p[i]
		switch {
		case isJA(ins.Op):
			return ins.Op, ins.K, i + 1 + int(ins.K), -1
		case isCond(ins.Op):
			return ins.Op, ins.K, i + 1 + int(ins.Jt), i + 1 + int(ins.Jf)
		}
		return ins.Op, ins.K, -1, -1
	}); pc >= 0 {
		return &ValidationError{Index: pc, Reason: fmt.Sprintf("M[%d] may be read before it is written", cell)}
	}
	return nil
}

// checkOperands makes the kernel's checks of one instruction that do not
// depend on its position: the opcode is one seccomp allows, and its constant
// is in range. It returns the reason for rejecting it, or "".
func checkOperands(op uint16, k uint32) string {
	if !classicAllowed(op) {
		return fmt.Sprintf("unknown opcode %#x", op)
	}
	if !seccompAllowed(op) {
		return fmt.Sprintf("opcode %#x (%s) is not allowed in a seccomp filter", op, mnemonic(op))
	}
	switch op {
	case BPF_ALU | BPF_DIV | BPF_K:
		if k == 0 {
			return "division by zero"
		}
	case BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_RSH | BPF_K:
		if k >= 32 {
			return fmt.Sprintf("shift by %d, must be less than 32", k)
		}
	case BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX:
		if k >= BPF_MEMWORDS {
			return fmt.Sprintf("scratch memory index %d out of range, must be less than %d", k, BPF_MEMWORDS)
		}
	case BPF_LD | BPF_W | BPF_ABS:
		if k >= SeccompDataSize {
			return fmt.Sprintf("load offset %d is beyond the %d-byte seccomp_data", k, SeccompDataSize)
		}
		if k&3 != 0 {
			return fmt.Sprintf("load offset %d is not a multiple of 4", k)
		}
	}
	return ""
}

// memCheck is the kernel's check_load_and_stores: a single linear scan that
// tracks which scratch cells are written on every path, where a jump passes
// its state to its targets and the instruction after a jump sees only what
// the jumps to it pass. (The instruction after a ret also inherits the ret's
// state: the kernel does not reset it there, and neither may we.) at returns
// instruction i and its absolute jump targets (-1 if none). memCheck returns
// the first instruction reading a cell that may be unwritten, and the cell,
// or -1.
func memCheck(n int, at func(i int) (op uint16, k uint32, t, f int)) (int, uint32) {
	masks := make([]uint16, n)
	for i := range masks {
		masks[i] = 0xffff
	}
	var valid uint16
	for pc := range n {
		valid &= masks[pc]
		op, k, t, f := at(pc)
		switch {
		case op == BPF_ST || op == BPF_STX:
			valid |= 1 << (k & 15)
		case op == BPF_LD|BPF_MEM || op == BPF_LDX|BPF_MEM:
			if valid&(1<<(k&15)) == 0 {
				return pc, k
			}
		case isJA(op):
			masks[t] &= valid
			valid = 0xffff
		case isCond(op):
			masks[t] &= valid
			masks[f] &= valid
			valid = 0xffff
		}
	}
	return -1, 0
}

// classicAllowed is the kernel's chk_code_allowed: the opcodes classic BPF
// knows at all.
func classicAllowed(op uint16) bool {
	switch op {
	case BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
		BPF_LD | BPF_W | BPF_LEN,
		BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
		BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH,
		BPF_ALU | BPF_MOD | BPF_K, BPF_ALU | BPF_MOD | BPF_X:
		return true
	}
	return seccompAllowed(op)
}

// seccompAllowed is the list of seccomp_check_filter: the opcodes a seccomp
// filter may use.
func seccompAllowed(op uint16) bool {
	switch op {
	case BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN,
		BPF_RET | BPF_K, BPF_RET | BPF_A,
		BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X,
		BPF_ALU | BPF_SUB | BPF_K, BPF_ALU | BPF_SUB | BPF_X,
		BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X,
		BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X,
		BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X,
		BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X,
		BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_XOR | BPF_X,
		BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X,
		BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X,
		BPF_ALU | BPF_NEG,
		BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM,
		BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
		BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM,
		BPF_ST, BPF_STX,
		BPF_JMP | BPF_JA,
		BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X,
		BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X,
		BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
		BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X:
		return true
	}
	return false
}
