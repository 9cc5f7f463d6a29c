package bpf

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

var seedPrograms = []string{
	"ret ALLOW",
	`ld [4]
	jeq #0xc000003e, 2, 7
	ld [0]
	jeq #59, 6, 4
	jge #400, 6, 5
	ret ERRNO(1)
	ret ALLOW
	ret KILL_PROCESS`,
	`ld [16]
	and #0xffff
	jset #0x4, 3, 4
	ja 5
	ret TRAP(2)
	ld [20]
	tax
	ld #len
	jgt x, 9, 10
	ret a
	st M[1]
	ldx M[1]
	txa
	lsh x
	neg
	ret a`,
	"ldh [2]\nldxb 4*([14]&0xf)\nld [x + 1]\nmod #3\nraw 0xff, 1, 2, 0x3\nret #0x10000",
}

func FuzzDecode(f *testing.F) {
	for _, s := range seedPrograms {
		p, err := Assemble(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Encode(binary.LittleEndian), false)
		f.Add(p.Encode(binary.BigEndian), true)
	}
	f.Add([]byte{}, false)
	f.Add(make([]byte, 9), true)
	f.Fuzz(func(t *testing.T, b []byte, big bool) {
		var order binary.ByteOrder = binary.LittleEndian
		if big {
			order = binary.BigEndian
		}
		p, err := Decode(b, order)
		if (p == nil) != (err != nil) {
			t.Fatalf("Decode = %v, %v: want a program or an error", p, err)
		}
		if err != nil {
			return
		}
		if got := p.Encode(order); !bytes.Equal(got, b) {
			t.Fatalf("Encode(Decode(b)) = % x, want % x", got, b)
		}
		if p.Validate() != nil {
			return
		}
		// A valid program runs, and optimizing it changes nothing it
		// returns and adds no instructions.
		fn, err := Symbolic(p)
		if err != nil {
			t.Fatalf("Symbolic of a valid program: %v", err)
		}
		fn, err = Optimize(fn)
		if err != nil {
			t.Fatalf("Optimize of a valid program: %v", err)
		}
		q, _, err := fn.Link()
		if err != nil {
			t.Fatalf("Link of an optimized valid program: %v\n%s", err, Disassemble(p, DisasmOptions{}))
		}
		if len(q) > len(p) {
			t.Fatalf("optimized program has %d instructions, the original %d", len(q), len(p))
		}
		vm := NewVM(order)
		for i := range 8 {
			data := make([]byte, SeccompDataSize)
			for j := range data {
				data[j] = byte(i * j)
			}
			if i < len(p) {
				order.PutUint32(data[4*(i%16):], p[i].K) // make comparisons hit
			}
			want, _, err := vm.Run(p, data)
			if err != nil {
				t.Fatalf("Run of a valid program: %v", err)
			}
			got, _, err := vm.Run(q, data)
			if err != nil || got != want {
				t.Fatalf("optimized returns %#x (%v), original %#x\noriginal:\n%s\noptimized:\n%s",
					got, err, want, Disassemble(p, DisasmOptions{}), Disassemble(q, DisasmOptions{}))
			}
		}
	})
}

func FuzzAssemble(f *testing.F) {
	for _, s := range seedPrograms {
		f.Add(s)
	}
	f.Add("a: b:\nja a")
	f.Add("jne x, l\nl: ret ERRNO(65535)")
	f.Add("0: ld [x + 0x10] ; c\n1: ret #-1")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Assemble(text)
		if (p == nil) != (err != nil) {
			t.Fatalf("Assemble = %v, %v: want a program or an error", p, err)
		}
		if err != nil {
			return
		}
		out := Disassemble(p, DisasmOptions{})
		q, err := Assemble(out)
		if err != nil {
			t.Fatalf("Assemble(Disassemble(p)): %v\n%s", err, out)
		}
		if !slices.Equal(p, q) {
			t.Fatalf("Assemble(Disassemble(p)) = %v, want %v", q, p)
		}
		if again := Disassemble(q, DisasmOptions{}); again != out {
			t.Fatalf("unstable disassembly:\n%s\nthen\n%s", out, again)
		}
	})
}

func FuzzDisassembleRoundTrip(f *testing.F) {
	for _, s := range seedPrograms {
		p, err := Assemble(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Encode(binary.LittleEndian), "note; with\nnewline")
	}
	f.Fuzz(func(t *testing.T, b []byte, note string) {
		p, err := Decode(b, binary.LittleEndian)
		if err != nil {
			return
		}
		notes := make([]string, len(p))
		for i := range notes {
			if i%2 == 0 {
				notes[i] = note
			}
		}
		opts := DisasmOptions{
			Notes:       notes,
			NameSyscall: func(nr uint32) (string, bool) { return note, nr%3 == 0 },
			NameArch:    func(a uint32) (string, bool) { return "arch\n" + note, true },
			Order:       binary.BigEndian,
		}
		text := Disassemble(p, opts)
		q, err := Assemble(text)
		if (q == nil) != (err != nil) {
			t.Fatalf("Assemble = %v, %v: want a program or an error", q, err)
		}
		if err != nil {
			t.Fatalf("Assemble(Disassemble(p)): %v\n%s", err, text)
		}
		if !slices.Equal(p, q) {
			t.Fatalf("round trip = %v, want %v\n%s", q, p, text)
		}
		if again := Disassemble(q, opts); again != text {
			t.Fatalf("unstable disassembly:\n%s\nthen\n%s", text, again)
		}
	})
}
