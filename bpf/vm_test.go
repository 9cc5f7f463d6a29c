package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSeccompDataMarshal(t *testing.T) {
	d := SeccompData{
		Nr:                 -1,
		Arch:               0xc000003e,
		InstructionPointer: 0x1122334455667788,
		Args:               [6]uint64{0x0000000100000002, 0, 0, 0, 0, 0xaabbccdd00000000},
	}
	le := d.Marshal(binary.LittleEndian)
	be := d.Marshal(binary.BigEndian)
	tests := []struct {
		name  string
		b     []byte
		order binary.ByteOrder
		off   int
		want  uint32
	}{
		{"le nr", le, binary.LittleEndian, 0, 0xffffffff},
		{"le arch", le, binary.LittleEndian, 4, 0xc000003e},
		{"le ip low", le, binary.LittleEndian, 8, 0x55667788},
		{"le ip high", le, binary.LittleEndian, 12, 0x11223344},
		{"le args[0] low at 16", le, binary.LittleEndian, 16, 2},
		{"le args[0] high at 20", le, binary.LittleEndian, 20, 1},
		{"le args[5] high at 60", le, binary.LittleEndian, 60, 0xaabbccdd},
		{"be nr", be, binary.BigEndian, 0, 0xffffffff},
		{"be arch", be, binary.BigEndian, 4, 0xc000003e},
		{"be ip high at 8", be, binary.BigEndian, 8, 0x11223344},
		{"be args[0] high at 16", be, binary.BigEndian, 16, 1},
		{"be args[0] low at 20", be, binary.BigEndian, 20, 2},
		{"be args[5] high at 56", be, binary.BigEndian, 56, 0xaabbccdd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.b) != SeccompDataSize {
				t.Fatalf("len = %d, want %d", len(tt.b), SeccompDataSize)
			}
			if got := tt.order.Uint32(tt.b[tt.off:]); got != tt.want {
				t.Errorf("word at %d = %#x, want %#x", tt.off, got, tt.want)
			}
		})
	}
	// The same filter sees the same values on either target.
	p := mustAssemble(t, "ld [20]\nret a")
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		want := uint32(1) // high half of args[0] on little endian
		if order == binary.BigEndian {
			want = 2
		}
		got, _, err := NewVM(order).Run(p, d.Marshal(order))
		if err != nil || got != want {
			t.Errorf("%v: ld [20] = %d, %v; want %d", order, got, err, want)
		}
	}
}

func TestRun(t *testing.T) {
	data := SeccompData{
		Nr:   59,
		Arch: 0xc000003e,
		Args: [6]uint64{0xffffffff00000005, 7},
	}
	tests := []struct {
		name string
		prog string
		be   bool // big-endian target
		want uint32
		n    int // instructions executed
	}{
		{"ret k", "ret #7", false, 7, 1},
		{"ret a starts at 0", "ret a", false, 0, 1},
		{"x starts at 0", "txa\nret a", false, 0, 2},
		{"ld nr", "ld [0]\nret a", false, 59, 2},
		{"ld arch", "ld [4]\nret a", false, 0xc000003e, 2},
		{"ld args[0] low le", "ld [16]\nret a", false, 5, 2},
		{"ld args[0] high le", "ld [20]\nret a", false, 0xffffffff, 2},
		{"ld args[0] high be", "ld [16]\nret a", true, 0xffffffff, 2},
		{"ld args[0] low be", "ld [20]\nret a", true, 5, 2},
		{"ld len", "ld #len\nret a", false, 64, 2},
		{"ldx len", "ldx #len\ntxa\nret a", false, 64, 3},
		{"ld imm", "ld #0xdeadbeef\nret a", false, 0xdeadbeef, 2},
		{"ldx imm tax txa", "ldx #9\ntxa\ntax\nret a", false, 9, 4},
		{"scratch memory", "ld #3\nst M[15]\nldx #4\nstx M[0]\nld M[0]\nldx M[15]\nadd x\nret a", false, 7, 8},
		{"add wraps", "ld #0xffffffff\nadd #2\nret a", false, 1, 3},
		{"sub wraps", "ld #1\nsub #2\nret a", false, 0xffffffff, 3},
		{"mul wraps", "ld #0x80000001\nmul #2\nret a", false, 2, 3},
		{"div k unsigned", "ld #0xfffffffe\ndiv #2\nret a", false, 0x7fffffff, 3},
		{"div x", "ld #10\nldx #3\ndiv x\nret a", false, 3, 4},
		{"div by x zero returns 0", "ld #10\ndiv x\nret #5", false, 0, 2},
		{"and or xor", "ld #0xf0\nand #0x3c\nor #0x1\nxor #0xff\nret a", false, 0xce, 5},
		{"and x", "ld #6\nldx #3\nand x\nret a", false, 2, 4},
		{"lsh k", "ld #1\nlsh #31\nret a", false, 0x80000000, 3},
		{"rsh k", "ld #0x80000000\nrsh #31\nret a", false, 1, 3},
		{"lsh x masks to 5 bits", "ld #1\nldx #33\nlsh x\nret a", false, 2, 4},
		{"lsh x 32 is no shift", "ld #5\nldx #32\nlsh x\nret a", false, 5, 4},
		{"rsh x masks to 5 bits", "ld #0x80000000\nldx #63\nrsh x\nret a", false, 1, 4},
		{"neg", "ld #1\nneg\nret a", false, 0xffffffff, 3},
		{"ja", "ja 2\nret #1\nret #2", false, 2, 2},
		{"jeq k taken", "ld [0]\njeq #59, 2, 3\nret #1\nret #2\nret #3", false, 1, 3},
		{"jeq k not taken", "ld [0]\njeq #60, 2, 3\nret #1\nret #2\nret #3", false, 2, 3},
		{"jeq x", "ld [0]\nldx #59\njeq x, 3, 4\nret #1\nret #2", false, 1, 4},
		{"jgt k unsigned", "ld #0x80000000\njgt #1, 2, 3\nret #1\nret #2\nret #3", false, 1, 3},
		{"jgt k equal", "ld #5\njgt #5, 2, 3\nret #1\nret #2\nret #3", false, 2, 3},
		{"jge k equal", "ld #5\njge #5, 2, 3\nret #1\nret #2\nret #3", false, 1, 3},
		{"jge x", "ld #4\nldx #5\njge x, 3, 4\nret #1\nret #2", false, 2, 4},
		{"jgt x", "ld #6\nldx #5\njgt x, 3, 4\nret #1\nret #2", false, 1, 4},
		{"jset k", "ld #6\njset #1, 2, 3\nret #1\nret #2\nret #3", false, 2, 3},
		{"jset x", "ld #6\nldx #2\njset x, 3, 4\nret #1\nret #2", false, 1, 4},
		{"missing false target is the next", "ld #2\njeq #1, 3\nret #1\nret #2", false, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var order binary.ByteOrder = binary.LittleEndian
			if tt.be {
				order = binary.BigEndian
			}
			p := mustAssemble(t, tt.prog)
			got, n, err := NewVM(order).Run(p, data.Marshal(order))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || n != tt.n {
				t.Errorf("Run = %#x after %d, want %#x after %d\n%s", got, n, tt.want, tt.n, Disassemble(p, DisasmOptions{}))
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	ok := mustAssemble(t, "ret #0")
	data := make([]byte, SeccompDataSize)
	tests := []struct {
		name string
		vm   *VM
		p    Program
		data []byte
		want string
	}{
		{"zero vm", &VM{}, ok, data, "no byte order"},
		{"nil vm", nil, ok, data, "no byte order"},
		{"short data", NewVM(binary.LittleEndian), ok, data[:60], "seccomp_data is 60 bytes, want 64"},
		{"long data", NewVM(binary.LittleEndian), ok, append(bytes.Clone(data), 0), "65 bytes"},
		{"invalid program", NewVM(binary.LittleEndian), Program{{Op: BPF_LD | BPF_W | BPF_ABS, K: 64}, ok[0]}, data, "instruction 0: load offset 64"},
		{"empty program", NewVM(binary.LittleEndian), nil, data, "no instructions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.vm.Run(tt.p, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	var ve *ValidationError
	_, _, err := NewVM(binary.LittleEndian).Run(Program{{Op: 0xff}}, data)
	if !errors.As(err, &ve) {
		t.Errorf("Run error %v does not wrap a *ValidationError", err)
	}
}

func TestVMLoadExecTrace(t *testing.T) {
	p := Program{
		{Op: BPF_LD | BPF_W | BPF_ABS, K: OffsetNr},
		{Op: BPF_JMP | BPF_JEQ | BPF_K, K: 39, Jt: 1},
		{Op: BPF_RET | BPF_K, K: 0},
		{Op: BPF_RET | BPF_K, K: 0x7fff0000},
	}
	vm := NewVM(binary.LittleEndian)
	var path []int
	vm.Trace = func(pc int) { path = append(path, pc) }
	if err := vm.Load(p); err != nil {
		t.Fatal(err)
	}
	p[3].K = 1 // the VM keeps its own copy
	ret, n, err := vm.Exec(SeccompData{Nr: 39}.Marshal(binary.LittleEndian))
	if err != nil || ret != 0x7fff0000 || n != 3 {
		t.Fatalf("Exec = %#x, %d, %v; want ALLOW after 3", ret, n, err)
	}
	if fmt.Sprint(path) != "[0 1 3]" {
		t.Fatalf("trace %v, want [0 1 3]", path)
	}
	if err := vm.Load(Program{{Op: BPF_LD | BPF_W | BPF_ABS, K: 2}}); err == nil {
		t.Fatal("Load accepted an invalid program")
	}
}
