package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SeccompData is the kernel's struct seccomp_data, the input of a filter.
type SeccompData struct {
	Nr                 int32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

// Offsets of the fields of seccomp_data.
const (
	OffsetNr                 = 0
	OffsetArch               = 4
	OffsetInstructionPointer = 8
	OffsetArgs               = 16
)

// Marshal lays d out as the kernel does for a target with the given byte
// order: nr at 0, arch at 4, instruction_pointer at 8 and args[i] at 16+8*i,
// each field in that byte order. So the 32-bit word at 16 is the low half of
// args[0] on a little-endian target and its high half on a big-endian one.
func (d SeccompData) Marshal(order binary.ByteOrder) []byte {
	b := make([]byte, SeccompDataSize)
	order.PutUint32(b[OffsetNr:], uint32(d.Nr))
	order.PutUint32(b[OffsetArch:], d.Arch)
	order.PutUint64(b[OffsetInstructionPointer:], d.InstructionPointer)
	for i, a := range d.Args {
		order.PutUint64(b[OffsetArgs+8*i:], a)
	}
	return b
}

// VM runs seccomp filters as the kernel does. Its loads read seccomp_data in
// the byte order of the target the filter is meant for. A VM is immutable and
// safe for concurrent use.
type VM struct {
	order binary.ByteOrder
	prog  Program // the loaded program, validated

	// Trace, when set, is called with the index of every instruction
	// before it executes.
	Trace func(pc int)
}

// NewVM returns a VM for a target with the given byte order.
func NewVM(order binary.ByteOrder) *VM {
	return &VM{order: order}
}

// errNoOrder is returned by the zero VM.
var errNoOrder = errors.New("run bpf program: vm has no byte order (use NewVM)")

// Run validates p, then runs it over data, the raw 64-byte seccomp_data (see
// SeccompData.Marshal). It returns the filter's return value and the number
// of instructions executed, the ret included.
//
// The semantics are the kernel's, which runs classic filters by converting
// them to eBPF (bpf_convert_filter) with 32-bit ALU operations: A and X start
// at 0; arithmetic wraps at 32 bits; division by X == 0 makes the whole
// filter return 0; a shift by X uses the low 5 bits of X; ld [k] reads the
// 32-bit word at offset k in the target's byte order; ld #len and ldx #len
// load 64.
func (vm *VM) Run(p Program, data []byte) (ret uint32, executed int, err error) {
	if vm == nil || vm.order == nil {
		return 0, 0, errNoOrder
	}
	if len(data) != SeccompDataSize {
		return 0, 0, fmt.Errorf("run bpf program: seccomp_data is %d bytes, want %d", len(data), SeccompDataSize)
	}
	if err := vm.Load(p); err != nil {
		return 0, 0, err
	}
	return vm.Exec(data)
}

// Load validates p and keeps a copy of it for Exec, so that a program run
// on many inputs is validated once.
func (vm *VM) Load(p Program) error {
	if vm == nil || vm.order == nil {
		return errNoOrder
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("run bpf program: %w", err)
	}
	vm.prog = append(vm.prog[:0], p...)
	return nil
}

// Exec runs the program of the last Load over data, the raw 64-byte
// seccomp_data, with Run's semantics.
func (vm *VM) Exec(data []byte) (ret uint32, executed int, err error) {
	if vm == nil || vm.order == nil {
		return 0, 0, errNoOrder
	}
	if len(vm.prog) == 0 {
		return 0, 0, errors.New("run bpf program: no program loaded")
	}
	if len(data) != SeccompDataSize {
		return 0, 0, fmt.Errorf("run bpf program: seccomp_data is %d bytes, want %d", len(data), SeccompDataSize)
	}
	p := vm.prog
	var (
		a, x uint32
		mem  [BPF_MEMWORDS]uint32
	)
	for pc := 0; ; pc++ {
		ins := p[pc]
		executed++
		if vm.Trace != nil {
			vm.Trace(pc)
		}
		k := ins.K
		if src(ins.Op) == BPF_X {
			k = x
		}
		switch ins.Op {
		case BPF_LD | BPF_W | BPF_ABS:
			a = vm.order.Uint32(data[ins.K:])
		case BPF_LD | BPF_W | BPF_LEN:
			a = SeccompDataSize
		case BPF_LDX | BPF_W | BPF_LEN:
			x = SeccompDataSize
		case BPF_LD | BPF_IMM:
			a = ins.K
		case BPF_LDX | BPF_IMM:
			x = ins.K
		case BPF_LD | BPF_MEM:
			a = mem[ins.K]
		case BPF_LDX | BPF_MEM:
			x = mem[ins.K]
		case BPF_ST:
			mem[ins.K] = a
		case BPF_STX:
			mem[ins.K] = x
		case BPF_MISC | BPF_TAX:
			x = a
		case BPF_MISC | BPF_TXA:
			a = x
		case BPF_ALU | BPF_NEG:
			a = -a
		case BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X:
			a += k
		case BPF_ALU | BPF_SUB | BPF_K, BPF_ALU | BPF_SUB | BPF_X:
			a -= k
		case BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X:
			a *= k
		case BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X:
			if k == 0 {
				return 0, executed, nil
			}
			a /= k
		case BPF_ALU | BPF_MOD | BPF_K, BPF_ALU | BPF_MOD | BPF_X:
			// Unreachable for validated programs; kept for completeness.
			if k == 0 {
				return 0, executed, nil
			}
			a %= k
		case BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X:
			a &= k
		case BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X:
			a |= k
		case BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_XOR | BPF_X:
			a ^= k
		case BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X:
			a <<= k & 31
		case BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X:
			a >>= k & 31
		case BPF_JMP | BPF_JA:
			pc += int(ins.K)
		case BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X:
			pc += branch(a == k, ins)
		case BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X:
			pc += branch(a > k, ins)
		case BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X:
			pc += branch(a >= k, ins)
		case BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X:
			pc += branch(a&k != 0, ins)
		case BPF_RET | BPF_K:
			return ins.K, executed, nil
		case BPF_RET | BPF_A:
			return a, executed, nil
		default:
			// Validate lets no other opcode through.
			return 0, executed, fmt.Errorf("run bpf program: instruction %d: unknown opcode %#x", pc, ins.Op)
		}
	}
}

func branch(cond bool, ins Instruction) int {
	if cond {
		return int(ins.Jt)
	}
	return int(ins.Jf)
}
