package bpf

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestAssemble(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Program
	}{
		{
			name: "labels and comments",
			text: `
				; refuse execve
				        ld [0]          ; nr
				        jeq #59, deny, allow
				deny:   ret ERRNO(1)
				allow:
				        ret ALLOW
			`,
			want: Program{
				{Op: BPF_LD | BPF_W | BPF_ABS},
				{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 0, Jf: 1, K: 59},
				{Op: BPF_RET | BPF_K, K: retErrno | 1},
				{Op: BPF_RET | BPF_K, K: retAllow},
			},
		},
		{
			name: "index column and absolute targets",
			text: "   0: ld [4]\n   1: jeq #0xc000003e, 2, 3 ; x86_64\n   2: ret ALLOW\n   3: ret KILL_PROCESS\n",
			want: Program{
				{Op: BPF_LD | BPF_W | BPF_ABS, K: 4},
				{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 0, Jf: 1, K: 0xc000003e},
				{Op: BPF_RET | BPF_K, K: retAllow},
				{Op: BPF_RET | BPF_K, K: retKillProcess},
			},
		},
		{
			name: "one target falls through when false",
			text: "jeq #1, out\nret #1\nout: ret #2",
			want: Program{
				{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 1, K: 1},
				{Op: BPF_RET | BPF_K, K: 1},
				{Op: BPF_RET | BPF_K, K: 2},
			},
		},
		{
			name: "negated jumps swap targets",
			text: "jne #1, a\njlt x, a, b\njle #3, b\nret #0\na: ret #1\nb: ret #2",
			want: Program{
				{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 0, Jf: 3, K: 1},
				{Op: BPF_JMP | BPF_JGE | BPF_X, Jt: 3, Jf: 2},
				{Op: BPF_JMP | BPF_JGT | BPF_K, Jt: 0, Jf: 2, K: 3},
				{Op: BPF_RET | BPF_K},
				{Op: BPF_RET | BPF_K, K: 1},
				{Op: BPF_RET | BPF_K, K: 2},
			},
		},
		{
			name: "case, spacing and number bases",
			text: "LD [ X + 0x10 ]\nldx\tm[ 2 ]\nAND #0b1010\nadd #-1\nret a\nret errno(0x10)\nret #0o17",
			want: Program{
				{Op: BPF_LD | BPF_W | BPF_IND, K: 16},
				{Op: BPF_LDX | BPF_MEM, K: 2},
				{Op: BPF_ALU | BPF_AND | BPF_K, K: 10},
				{Op: BPF_ALU | BPF_ADD | BPF_K, K: 0xffffffff},
				{Op: BPF_RET | BPF_A},
				{Op: BPF_RET | BPF_K, K: retErrno | 16},
				{Op: BPF_RET | BPF_K, K: 15},
			},
		},
		{
			name: "several labels on one instruction, jmp alias, raw",
			text: "jmp b\na: b: c:\nraw 0x6, 1, 2, 0x7fff0000",
			want: Program{
				{Op: BPF_JMP | BPF_JA},
				{Op: BPF_RET | BPF_K, Jt: 1, Jf: 2, K: retAllow},
			},
		},
		{
			name: "far ja",
			text: "ja 4294967296\nret #0",
			want: Program{{Op: BPF_JMP | BPF_JA, K: 0xffffffff}, {Op: BPF_RET | BPF_K}},
		},
		{
			name: "conditional jump of 255",
			text: "jeq #0, 256, 1\nret #0",
			want: Program{{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 255}, {Op: BPF_RET | BPF_K}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Assemble(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Assemble =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestAssembleErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		line int
		want string
	}{
		{"empty", "", 1, "no instructions"},
		{"only comments", "; nothing\n\n", 1, "no instructions"},
		{"unknown mnemonic", "ld [0]\n\njqe #1, 2, 3\nret #0", 3, `unknown mnemonic "jqe"`},
		{"undefined label", "ja nowhere\nret #0", 1, `undefined label "nowhere"`},
		{"duplicate label", "a: ret #0\na: ret #1", 2, `label "a" already defined on line 1`},
		{"backward label", "a: ld [0]\njeq #1, a, 2\nret #0", 2, "goes backward"},
		{"jump to itself", "ja 0\nret #0", 1, "goes backward"},
		{"label at the end", "ja end\nret #0\nend:", 1, `label "end" names no instruction`},
		{"too far", "jeq #1, 257, 1\nret #0", 1, "skips 256 instructions, a conditional jump skips at most 255"},
		{"ja too far", "ja 4294967297\nret #0", 1, "too far"},
		{"bad operand", "ld x", 1, `ld: bad operand "x"`},
		{"st immediate", "st #1", 1, "st: bad operand"},
		{"ldh len", "ldh #len", 1, "bad operand"},
		{"bad number", "ld #12q", 1, `bad number "12q"`},
		{"number too big", "ld #0x100000000", 1, "bad number"},
		{"negative too small", "ld #-2147483649", 1, "bad number"},
		{"alu without #", "add 1", 1, `want #constant or x, got "1"`},
		{"operand count", "tax 1", 1, "tax takes 0 operands, not 1"},
		{"jump operand count", "jeq #1", 1, "jeq takes 2 or 3 operands, not 1"},
		{"missing target", "jeq #1, , 2\nret #0", 1, "missing jump target"},
		{"bad target", "jeq #1, a-b\nret #0", 1, `bad jump target "a-b"`},
		{"unknown action", "ret DENY", 1, `ret: unknown action "DENY"`},
		{"action data too big", "ret ERRNO(65536)", 1, "bad action data"},
		{"action unclosed", "ret ERRNO(1", 1, "bad action"},
		{"raw field too big", "raw 0x10000, 0, 0, 0", 1, "raw: bad field"},
		{"raw jt too big", "raw 6, 256, 0, 0", 1, "raw: bad field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Assemble(tt.text)
			if p != nil {
				t.Errorf("Assemble returned a program with error %v", err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Assemble error = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line || !strings.Contains(se.Msg, tt.want) {
				t.Errorf("Assemble error = line %d %q, want line %d containing %q", se.Line, se.Msg, tt.line, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("Error() = %q, want it to start with the line", err.Error())
			}
		})
	}
	_, err := Assemble("ld [0]\n\njqe #1, 2, 3\nret #0")
	if got, want := err.Error(), `line 3: unknown mnemonic "jqe"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	// AssembleFile names the file, as every located error does.
	_, err = AssembleFile("deny.txt", "ld [0]\n\njqe #1, 2, 3\nret #0")
	if got, want := err.Error(), `deny.txt:3: unknown mnemonic "jqe"`; got != want {
		t.Errorf("AssembleFile: Error() = %q, want %q", got, want)
	}
	if p, err := AssembleFile("ok.txt", "ret ALLOW"); err != nil || len(p) != 1 {
		t.Errorf("AssembleFile(ret ALLOW) = %v, %v", p, err)
	}
}
