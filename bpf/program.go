package bpf

import (
	"encoding/binary"
	"fmt"
)

// Instruction is one classic BPF instruction, the kernel's struct sock_filter.
// For a conditional jump Jt and Jf are the number of instructions to skip
// when the condition holds or fails; for ja, K is.
type Instruction struct {
	Op     uint16
	Jt, Jf uint8
	K      uint32
}

// Program is a classic BPF program, as passed to seccomp(2) in a sock_fprog.
type Program []Instruction

// InstructionSize is sizeof(struct sock_filter).
const InstructionSize = 8

// Encode returns the program as the kernel reads it: 8 bytes per
// instruction (u16 code, u8 jt, u8 jf, u32 k), the multi-byte fields in the
// given byte order, which must be the target's native order.
func (p Program) Encode(order binary.ByteOrder) []byte {
	b := make([]byte, len(p)*InstructionSize)
	for i, ins := range p {
		w := b[i*InstructionSize:]
		order.PutUint16(w[0:], ins.Op)
		w[2] = ins.Jt
		w[3] = ins.Jf
		order.PutUint32(w[4:], ins.K)
	}
	return b
}

// Decode parses a program encoded by Encode (or read from a kernel
// interface) in the given byte order. It does not validate the program.
func Decode(b []byte, order binary.ByteOrder) (Program, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("decode bpf program: no instructions")
	}
	if len(b)%InstructionSize != 0 {
		return nil, fmt.Errorf("decode bpf program: length %d is not a multiple of %d", len(b), InstructionSize)
	}
	p := make(Program, len(b)/InstructionSize)
	for i := range p {
		w := b[i*InstructionSize:]
		p[i] = Instruction{
			Op: order.Uint16(w[0:]),
			Jt: w[2],
			Jf: w[3],
			K:  order.Uint32(w[4:]),
		}
	}
	return p, nil
}
