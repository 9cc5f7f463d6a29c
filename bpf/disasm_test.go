package bpf

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

func TestInsnText(t *testing.T) {
	tests := []struct {
		ins  Instruction
		want string
	}{
		{Instruction{Op: BPF_LD | BPF_W | BPF_ABS, K: 16}, "ld [16]"},
		{Instruction{Op: BPF_LD | BPF_H | BPF_ABS, K: 2}, "ldh [2]"},
		{Instruction{Op: BPF_LD | BPF_B | BPF_ABS, K: 3}, "ldb [3]"},
		{Instruction{Op: BPF_LD | BPF_W | BPF_IND, K: 4}, "ld [x + 4]"},
		{Instruction{Op: BPF_LD | BPF_H | BPF_IND, K: 4}, "ldh [x + 4]"},
		{Instruction{Op: BPF_LD | BPF_B | BPF_IND, K: 4}, "ldb [x + 4]"},
		{Instruction{Op: BPF_LD | BPF_IMM, K: 42}, "ld #42"},
		{Instruction{Op: BPF_LD | BPF_IMM, K: 0xdeadbeef}, "ld #0xdeadbeef"},
		{Instruction{Op: BPF_LD | BPF_W | BPF_LEN}, "ld #len"},
		{Instruction{Op: BPF_LD | BPF_MEM, K: 3}, "ld M[3]"},
		{Instruction{Op: BPF_LDX | BPF_IMM, K: 7}, "ldx #7"},
		{Instruction{Op: BPF_LDX | BPF_W | BPF_LEN}, "ldx #len"},
		{Instruction{Op: BPF_LDX | BPF_MEM, K: 15}, "ldx M[15]"},
		{Instruction{Op: BPF_LDX | BPF_B | BPF_MSH, K: 14}, "ldxb 4*([14]&0xf)"},
		{Instruction{Op: BPF_ST, K: 1}, "st M[1]"},
		{Instruction{Op: BPF_STX, K: 2}, "stx M[2]"},
		{Instruction{Op: BPF_ALU | BPF_ADD | BPF_K, K: 1}, "add #1"},
		{Instruction{Op: BPF_ALU | BPF_SUB | BPF_X}, "sub x"},
		{Instruction{Op: BPF_ALU | BPF_MUL | BPF_K, K: 4096}, "mul #0x1000"},
		{Instruction{Op: BPF_ALU | BPF_DIV | BPF_K, K: 4095}, "div #4095"},
		{Instruction{Op: BPF_ALU | BPF_MOD | BPF_X}, "mod x"},
		{Instruction{Op: BPF_ALU | BPF_AND | BPF_K, K: 0xffff}, "and #0xffff"},
		{Instruction{Op: BPF_ALU | BPF_AND | BPF_K, K: 1}, "and #0x1"},
		{Instruction{Op: BPF_ALU | BPF_OR | BPF_K, K: 8}, "or #0x8"},
		{Instruction{Op: BPF_ALU | BPF_XOR | BPF_X}, "xor x"},
		{Instruction{Op: BPF_ALU | BPF_LSH | BPF_K, K: 3}, "lsh #3"},
		{Instruction{Op: BPF_ALU | BPF_RSH | BPF_X}, "rsh x"},
		{Instruction{Op: BPF_ALU | BPF_NEG}, "neg"},
		{Instruction{Op: BPF_MISC | BPF_TAX}, "tax"},
		{Instruction{Op: BPF_MISC | BPF_TXA}, "txa"},
		{Instruction{Op: BPF_JMP | BPF_JA, K: 7}, "ja 16"},
		{Instruction{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 2, Jf: 11, K: 0xc000003e}, "jeq #0xc000003e, 11, 20"},
		{Instruction{Op: BPF_JMP | BPF_JEQ | BPF_K, K: 59}, "jeq #59, 9, 9"},
		{Instruction{Op: BPF_JMP | BPF_JGT | BPF_X, Jt: 1}, "jgt x, 10, 9"},
		{Instruction{Op: BPF_JMP | BPF_JGE | BPF_K, Jf: 255, K: 400}, "jge #400, 9, 264"},
		{Instruction{Op: BPF_JMP | BPF_JSET | BPF_K, K: 4}, "jset #0x4, 9, 9"},
		{Instruction{Op: BPF_RET | BPF_A}, "ret a"},
		{Instruction{Op: BPF_RET | BPF_K, K: retAllow}, "ret ALLOW"},
		{Instruction{Op: BPF_RET | BPF_K, K: retKillProcess}, "ret KILL_PROCESS"},
		{Instruction{Op: BPF_RET | BPF_K, K: retKillThread}, "ret KILL_THREAD"},
		{Instruction{Op: BPF_RET | BPF_K, K: retTrap}, "ret TRAP"},
		{Instruction{Op: BPF_RET | BPF_K, K: retTrap | 3}, "ret TRAP(3)"},
		{Instruction{Op: BPF_RET | BPF_K, K: retErrno | 1}, "ret ERRNO(1)"},
		{Instruction{Op: BPF_RET | BPF_K, K: retErrno}, "ret ERRNO(0)"},
		{Instruction{Op: BPF_RET | BPF_K, K: retErrno | 0xffff}, "ret ERRNO(65535)"},
		{Instruction{Op: BPF_RET | BPF_K, K: retUserNotif}, "ret USER_NOTIF"},
		{Instruction{Op: BPF_RET | BPF_K, K: retTrace | 9}, "ret TRACE(9)"},
		{Instruction{Op: BPF_RET | BPF_K, K: retLog}, "ret LOG"},
		{Instruction{Op: BPF_RET | BPF_K, K: retAllow | 1}, "ret ALLOW(1)"},
		{Instruction{Op: BPF_RET | BPF_K, K: 0x00010000}, "ret #0x10000"},
		// What the mnemonic cannot carry is printed raw.
		{Instruction{Op: 0xff, Jt: 1, Jf: 2, K: 3}, "raw 0xff, 1, 2, 0x3"},
		{Instruction{Op: BPF_MISC | BPF_TAX, K: 5}, "raw 0x7, 0, 0, 0x5"},
		{Instruction{Op: BPF_RET | BPF_A, K: 1}, "raw 0x16, 0, 0, 0x1"},
		{Instruction{Op: BPF_LD | BPF_W | BPF_LEN, K: 64}, "raw 0x80, 0, 0, 0x40"},
		{Instruction{Op: BPF_ALU | BPF_ADD | BPF_X, K: 1}, "raw 0xc, 0, 0, 0x1"},
		{Instruction{Op: BPF_JMP | BPF_JEQ | BPF_X, K: 1}, "raw 0x1d, 0, 0, 0x1"},
		{Instruction{Op: BPF_JMP | BPF_JA, Jt: 1}, "raw 0x5, 1, 0, 0x0"},
		{Instruction{Op: BPF_JMP | BPF_JA, Jf: 1, K: 5}, "raw 0x5, 0, 1, 0x5"},
		{Instruction{Op: BPF_JMP | BPF_JGE | BPF_X, Jt: 48, Jf: 48, K: 1}, "raw 0x3d, 48, 48, 0x1"},
		{Instruction{Op: BPF_LD | BPF_W | BPF_ABS, Jf: 1}, "raw 0x20, 0, 1, 0x0"},
		{Instruction{Op: BPF_RET | BPF_K, Jt: 1, K: retAllow}, "raw 0x6, 1, 0, 0x7fff0000"},
		{Instruction{Op: BPF_RET | BPF_X}, "raw 0xe, 0, 0, 0x0"},
		{Instruction{Op: 0x1006}, "raw 0x1006, 0, 0, 0x0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := insnText(8, tt.ins); got != tt.want {
				t.Errorf("insnText(8, %+v) = %q, want %q", tt.ins, got, tt.want)
			}
			// Every text reads back as the same instruction.
			p := make(Program, 9)
			for i := range p {
				p[i] = Instruction{Op: BPF_RET | BPF_K}
			}
			p[8] = tt.ins
			back, err := Assemble(Disassemble(p, DisasmOptions{}))
			if err != nil {
				t.Fatal(err)
			}
			if back[8] != tt.ins {
				t.Errorf("round trip = %+v, want %+v", back[8], tt.ins)
			}
		})
	}
}

func TestDisassembleComments(t *testing.T) {
	sysName := func(nr uint32) (string, bool) { return "execve", nr == 59 }
	archName := func(a uint32) (string, bool) { return "x86_64", a == 0xc000003e }
	tests := []struct {
		name string
		prog string
		opts DisasmOptions
		want string
	}{
		{
			name: "fields little endian",
			prog: "ld [0]\nld [4]\nld [8]\nld [12]\nld [16]\nld [20]\nld [60]\nret #0",
			opts: DisasmOptions{Order: binary.LittleEndian},
			want: `
				0: ld [0]                   ; nr
				1: ld [4]                   ; arch
				2: ld [8]                   ; instruction_pointer low
				3: ld [12]                  ; instruction_pointer high
				4: ld [16]                  ; args[0] low
				5: ld [20]                  ; args[0] high
				6: ld [60]                  ; args[5] high
				7: ret KILL_THREAD`,
		},
		{
			name: "fields big endian",
			prog: "ld [8]\nld [16]\nld [20]\nld [56]\nret #0",
			opts: DisasmOptions{Order: binary.BigEndian},
			want: `
				0: ld [8]                   ; instruction_pointer high
				1: ld [16]                  ; args[0] high
				2: ld [20]                  ; args[0] low
				3: ld [56]                  ; args[5] high
				4: ret KILL_THREAD`,
		},
		{
			name: "fields without byte order",
			prog: "ld [16]\nld [20]\nld [64]\nld [2]\nret #0",
			want: `
				0: ld [16]                  ; args[0] bytes 0-3
				1: ld [20]                  ; args[0] bytes 4-7
				2: ld [64]
				3: ld [2]
				4: ret KILL_THREAD`,
		},
		{
			name: "syscall and arch names",
			prog: `
				ld [4]
				jeq #0xc000003e, 2, 7
				ld [0]
				jeq #59, 6, 4
				jgt #59, 6, 5
				jeq #0xc000003e, 6, 7
				ret ALLOW
				ret KILL_PROCESS`,
			opts: DisasmOptions{NameSyscall: sysName, NameArch: archName},
			want: `
				0: ld [4]                   ; arch
				1: jeq #0xc000003e, 2, 7    ; x86_64
				2: ld [0]                   ; nr
				3: jeq #59, 6, 4            ; execve
				4: jgt #59, 6, 5
				5: jeq #0xc000003e, 6, 7
				6: ret ALLOW
				7: ret KILL_PROCESS`,
		},
		{
			name: "name only when A holds nr on every path",
			prog: `
				ld [0]
				jeq #1, 2, 3
				ld [16]
				jeq #59, 5, 4
				and #0xff
				jeq #59, 6, 6
				ret ALLOW`,
			opts: DisasmOptions{NameSyscall: sysName},
			want: `
				0: ld [0]                   ; nr
				1: jeq #1, 2, 3
				2: ld [16]                  ; args[0] bytes 0-3
				3: jeq #59, 5, 4
				4: and #0xff
				5: jeq #59, 6, 6
				6: ret ALLOW`,
		},
		{
			name: "name survives jumps and other registers",
			prog: `
				ld [0]
				ldx #1
				jeq #1, 3, 3
				jeq #59, 4, 4
				ret ALLOW`,
			opts: DisasmOptions{NameSyscall: sysName},
			want: `
				0: ld [0]                   ; nr
				1: ldx #1
				2: jeq #1, 3, 3
				3: jeq #59, 4, 4            ; execve
				4: ret ALLOW`,
		},
		{
			name: "notes",
			prog: "ld [0]\njeq #59, 2, 3\nret ERRNO(1)\nret ALLOW",
			opts: DisasmOptions{Notes: []string{"", "deny\nexecve", "deny execve"}, NameSyscall: sysName},
			want: `
				0: ld [0]                   ; nr
				1: jeq #59, 2, 3            ; execve; deny execve
				2: ret ERRNO(1)             ; deny execve
				3: ret ALLOW`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustAssemble(t, tt.prog)
			got := Disassemble(p, tt.opts)
			if trimLines(got) != trimLines(tt.want) {
				t.Errorf("Disassemble =\n%s\nwant\n%s", got, trimLines(tt.want))
			}
			back, err := Assemble(got)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back, p) {
				t.Errorf("round trip changed the program:\n%s", Disassemble(back, DisasmOptions{}))
			}
			if strings.Contains(strings.TrimSuffix(got, "\n"), " \n") {
				t.Errorf("trailing space in\n%q", got)
			}
		})
	}
}
