package bpf

// Classic BPF opcode fields, spelled as in the kernel's
// include/uapi/linux/filter.h and include/uapi/linux/bpf_common.h.
const (
	// Instruction classes.
	BPF_LD   = 0x00
	BPF_LDX  = 0x01
	BPF_ST   = 0x02
	BPF_STX  = 0x03
	BPF_ALU  = 0x04
	BPF_JMP  = 0x05
	BPF_RET  = 0x06
	BPF_MISC = 0x07

	// Load sizes.
	BPF_W = 0x00
	BPF_H = 0x08
	BPF_B = 0x10

	// Load modes.
	BPF_IMM = 0x00
	BPF_ABS = 0x20
	BPF_IND = 0x40
	BPF_MEM = 0x60
	BPF_LEN = 0x80
	BPF_MSH = 0xa0

	// ALU operations.
	BPF_ADD = 0x00
	BPF_SUB = 0x10
	BPF_MUL = 0x20
	BPF_DIV = 0x30
	BPF_OR  = 0x40
	BPF_AND = 0x50
	BPF_LSH = 0x60
	BPF_RSH = 0x70
	BPF_NEG = 0x80
	BPF_MOD = 0x90
	BPF_XOR = 0xa0

	// Jump operations.
	BPF_JA   = 0x00
	BPF_JEQ  = 0x10
	BPF_JGT  = 0x20
	BPF_JGE  = 0x30
	BPF_JSET = 0x40

	// Operand sources.
	BPF_K = 0x00
	BPF_X = 0x08

	// Return value source.
	BPF_A = 0x10

	// Miscellaneous operations.
	BPF_TAX = 0x00
	BPF_TXA = 0x80

	// BPF_MAXINSNS is the most instructions a classic program may have.
	BPF_MAXINSNS = 4096
	// BPF_MEMWORDS is the number of 32-bit scratch memory cells M[0..15].
	BPF_MEMWORDS = 16
)

// SeccompDataSize is sizeof(struct seccomp_data): the program's input and
// the value of the length loads (ld #len, ldx #len) in a seccomp filter.
const SeccompDataSize = 64

// Private copies of the seccomp return actions, used only to print and parse
// them (package seccomp owns the public ones; bpf must not import it).
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retUserNotif   = 0x7fc00000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000

	retActionFull = 0xffff0000
	retData       = 0x0000ffff
)

// Field extractors, as the kernel's BPF_CLASS, BPF_MODE, BPF_OP and BPF_SRC.
func class(op uint16) uint16 { return op & 0x07 }
func mode(op uint16) uint16  { return op & 0xe0 }
func aluOp(op uint16) uint16 { return op & 0xf0 }
func src(op uint16) uint16   { return op & 0x08 }

// isJA reports whether op is the unconditional jump, the only one seccomp
// allows (BPF_JMP|BPF_JA, no source bit).
func isJA(op uint16) bool { return op == BPF_JMP|BPF_JA }

// isCond reports whether op is one of the conditional jumps the kernel knows
// (jeq, jgt, jge, jset; against K or X).
func isCond(op uint16) bool {
	if op&^0xf8 != BPF_JMP {
		return false
	}
	switch aluOp(op) {
	case BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET:
		return true
	}
	return false
}

// isRet reports whether op ends the program (ret #k or ret a).
func isRet(op uint16) bool { return op == BPF_RET|BPF_K || op == BPF_RET|BPF_A }
