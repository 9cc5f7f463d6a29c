package bpf

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ret := Instruction{Op: BPF_RET | BPF_K, K: retAllow}
	one := func(ins Instruction) Program { return Program{ins, ret} }
	long := make(Program, BPF_MAXINSNS+1)
	for i := range long {
		long[i] = ret
	}
	tests := []struct {
		name  string
		p     Program
		index int    // -2: valid
		want  string // part of the reason
	}{
		// Length.
		{"empty", Program{}, -1, "no instructions"},
		{"one ret", Program{ret}, -2, ""},
		{"max length", long[:BPF_MAXINSNS], -2, ""},
		{"too long", long, -1, "program has 4097 instructions, the kernel allows at most 4096"},

		// Opcodes.
		{"unknown opcode", one(Instruction{Op: 0xff}), 0, "unknown opcode 0xff"},
		{"opcode beyond a byte", one(Instruction{Op: 0x106}), 0, "unknown opcode 0x106"},
		{"ld b imm", one(Instruction{Op: BPF_LD | BPF_B | BPF_IMM}), 0, "unknown opcode 0x10"},
		{"ldh abs", one(Instruction{Op: BPF_LD | BPF_H | BPF_ABS, K: 0}), 0, "(ldh [k]) is not allowed in a seccomp filter"},
		{"ldb abs", one(Instruction{Op: BPF_LD | BPF_B | BPF_ABS, K: 0}), 0, "not allowed"},
		{"ld ind", one(Instruction{Op: BPF_LD | BPF_W | BPF_IND}), 0, "not allowed"},
		{"ldh ind", one(Instruction{Op: BPF_LD | BPF_H | BPF_IND}), 0, "not allowed"},
		{"ldxb msh", one(Instruction{Op: BPF_LDX | BPF_B | BPF_MSH}), 0, "not allowed"},
		{"mod k", one(Instruction{Op: BPF_ALU | BPF_MOD | BPF_K, K: 3}), 0, "not allowed"},
		{"mod x", one(Instruction{Op: BPF_ALU | BPF_MOD | BPF_X}), 0, "not allowed"},
		{"neg x", one(Instruction{Op: BPF_ALU | BPF_NEG | BPF_X}), 0, "unknown opcode"},
		{"ret x", Program{{Op: BPF_RET | BPF_X}}, 0, "unknown opcode 0xe"},
		{"ja x", one(Instruction{Op: BPF_JMP | BPF_JA | BPF_X}), 0, "unknown opcode"},
		{"ldx abs", one(Instruction{Op: BPF_LDX | BPF_W | BPF_ABS}), 0, "unknown opcode"},
		{"st with size bits", one(Instruction{Op: BPF_ST | BPF_B}), 0, "unknown opcode"},
		{"every allowed opcode", mustAssemble(t, `
			ld [0]
			ld #len
			ldx #len
			ld #1
			ldx #2
			st M[0]
			stx M[1]
			ld M[0]
			ldx M[1]
			add #1
			add x
			sub #1
			sub x
			mul #3
			mul x
			div #3
			div x
			and #1
			and x
			or #1
			or x
			xor #1
			xor x
			lsh #1
			lsh x
			rsh #1
			rsh x
			neg
			tax
			txa
			ja 32
			jeq #1, 33, 33
			jeq x, 34, 34
			jgt #1, 35, 35
			jgt x, 36, 36
			jge #1, 37, 37
			jge x, 38, 38
			jset #1, 39, 39
			jset x, 40, 40
			jeq #0, 40, 41
			ret a
			ret #0
		`), -2, ""},

		// Loads from seccomp_data.
		{"ld last word", one(Instruction{Op: BPF_LD | BPF_W | BPF_ABS, K: 60}), -2, ""},
		{"ld past the end", one(Instruction{Op: BPF_LD | BPF_W | BPF_ABS, K: 64}), 0, "load offset 64 is beyond the 64-byte seccomp_data"},
		{"ld unaligned", one(Instruction{Op: BPF_LD | BPF_W | BPF_ABS, K: 2}), 0, "load offset 2 is not a multiple of 4"},
		{"ld extension offset", one(Instruction{Op: BPF_LD | BPF_W | BPF_ABS, K: 0xfffff000}), 0, "beyond"},

		// Arithmetic.
		{"div by zero", one(Instruction{Op: BPF_ALU | BPF_DIV | BPF_K}), 0, "division by zero"},
		{"div by x", one(Instruction{Op: BPF_ALU | BPF_DIV | BPF_X}), -2, ""},
		{"lsh 31", one(Instruction{Op: BPF_ALU | BPF_LSH | BPF_K, K: 31}), -2, ""},
		{"lsh 32", one(Instruction{Op: BPF_ALU | BPF_LSH | BPF_K, K: 32}), 0, "shift by 32, must be less than 32"},
		{"rsh 33", one(Instruction{Op: BPF_ALU | BPF_RSH | BPF_K, K: 33}), 0, "shift by 33"},

		// Scratch memory.
		{"st M[15]", one(Instruction{Op: BPF_ST, K: 15}), -2, ""},
		{"st M[16]", one(Instruction{Op: BPF_ST, K: 16}), 0, "scratch memory index 16 out of range"},
		{"stx M[16]", one(Instruction{Op: BPF_STX, K: 16}), 0, "scratch memory index 16"},
		{"ld M[16]", one(Instruction{Op: BPF_LD | BPF_MEM, K: 16}), 0, "scratch memory index 16"},
		{"ldx M[99]", one(Instruction{Op: BPF_LDX | BPF_MEM, K: 99}), 0, "scratch memory index 99"},
		{"read before write", one(Instruction{Op: BPF_LD | BPF_MEM, K: 3}), 0, "M[3] may be read before it is written"},
		{"read after write", mustAssemble(t, "st M[3]\nldx M[3]\nret a"), -2, ""},
		{"read other cell", mustAssemble(t, "st M[3]\nldx M[4]\nret a"), 1, "M[4] may be read"},
		{"written on one path only", mustAssemble(t, `
			jeq #1, 1, 2
			st M[0]
			ld M[0]
			ret a
		`), 2, "M[0] may be read"},
		{"written on both paths", mustAssemble(t, `
			jeq #1, 1, 3
			st M[0]
			ja 4
			stx M[0]
			ld M[0]
			ret a
		`), -2, ""},
		{"written after a jump to the reader", mustAssemble(t, `
			jeq #1, 2, 1
			st M[0]
			ld M[0]
			ret a
		`), 2, "M[0]"},
		// The kernel does not reset its state after a ret: the instruction
		// after it inherits what the ret saw, though no path goes that way.
		// Here every path to 4 writes M[0], yet the kernel refuses it.
		{"ret quirk", mustAssemble(t, `
			jeq #1, 1, 3
			st M[0]
			jeq #2, 4, 4
			ret #1
			ld M[0]
			ret a
		`), 4, "M[0]"},
		{"ret quirk, cell written before", mustAssemble(t, `
			st M[0]
			jeq #1, 2, 3
			ret #1
			ld M[0]
			ret a
		`), -2, ""},
		// Unreachable code after a ja starts with every cell valid.
		{"unreachable after ja", mustAssemble(t, `
			ja 2
			ld M[5]
			ret #0
		`), -2, ""},

		// Jumps.
		{"ja in range", one(Instruction{Op: BPF_JMP | BPF_JA, K: 0}), -2, ""},
		{"ja out of range", one(Instruction{Op: BPF_JMP | BPF_JA, K: 1}), 0, "jump target 2 out of range (program has 2 instructions)"},
		{"ja huge", one(Instruction{Op: BPF_JMP | BPF_JA, K: 0xffffffff}), 0, "jump target 4294967296 out of range"},
		{"ja last", Program{ret, {Op: BPF_JMP | BPF_JA}}, 1, "jump target 2 out of range"},
		{"jt out of range", one(Instruction{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 1}), 0, "jump target 2 out of range"},
		{"jf out of range", one(Instruction{Op: BPF_JMP | BPF_JGT | BPF_X, Jf: 200}), 0, "jump target 201 out of range"},
		{"jset jf out of range", one(Instruction{Op: BPF_JMP | BPF_JSET | BPF_K, Jf: 1}), 0, "out of range"},
		{"jump fields ignored elsewhere", Program{{Op: BPF_LD | BPF_IMM, Jt: 9, Jf: 9}, {Op: BPF_RET | BPF_A, Jt: 200, K: 7}}, -2, ""},

		// The end.
		{"last not ret", Program{ret, {Op: BPF_LD | BPF_IMM}}, 1, "last instruction must be a ret, not ld #k"},
		{"ret a last", Program{{Op: BPF_RET | BPF_A}}, -2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.index == -2 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if ve.Index != tt.index || !strings.Contains(ve.Reason, tt.want) {
				t.Errorf("Validate = index %d %q, want index %d containing %q", ve.Index, ve.Reason, tt.index, tt.want)
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	p := make(Program, 8)
	for i := range p {
		p[i] = Instruction{Op: BPF_RET | BPF_K}
	}
	p[7] = Instruction{Op: BPF_JMP | BPF_JA, K: 292}
	p = append(p, Instruction{Op: BPF_RET | BPF_K})
	got := p.Validate().Error()
	want := "instruction 7: jump target 300 out of range (program has 9 instructions)"
	if got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&ValidationError{Index: -1, Reason: "x"}).Error(), "x"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
