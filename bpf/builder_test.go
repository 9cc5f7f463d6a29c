package bpf

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestLink(t *testing.T) {
	b := NewBuilder()
	allow, deny := b.NewLabel(), b.NewLabel()
	b.SetNote("nr")
	b.LoadAbs(OffsetNr)
	b.JumpIf(BPF_JEQ, 59, deny, 0)
	b.JumpIf(BPF_JGE|BPF_X, 0, allow, deny) // op may carry BPF_X
	b.Emit(Insn{Op: BPF_LD | BPF_IMM, K: 1, Note: "own note"})
	b.Goto(allow)
	b.SetNote("deny")
	b.Bind(deny)
	b.Ret(retErrno | 1)
	b.SetNote("")
	b.Bind(allow)
	b.Ret(retAllow)

	p, notes, err := b.Link()
	if err != nil {
		t.Fatal(err)
	}
	want := Program{
		{Op: BPF_LD | BPF_W | BPF_ABS, K: 0},
		{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 3, Jf: 0, K: 59},
		{Op: BPF_JMP | BPF_JGE | BPF_X, Jt: 3, Jf: 2},
		{Op: BPF_LD | BPF_IMM, K: 1},
		{Op: BPF_JMP | BPF_JA, K: 1},
		{Op: BPF_RET | BPF_K, K: retErrno | 1},
		{Op: BPF_RET | BPF_K, K: retAllow},
	}
	if !slices.Equal(p, want) {
		t.Errorf("Link =\n%s\nwant\n%s", Disassemble(p, DisasmOptions{}), Disassemble(want, DisasmOptions{}))
	}
	wantNotes := []string{"nr", "nr", "nr", "own note", "nr", "deny", ""}
	if !slices.Equal(notes, wantNotes) {
		t.Errorf("notes = %q, want %q", notes, wantNotes)
	}
	if got := b.Insns(); len(got) != len(want) || got[3].Note != "own note" {
		t.Errorf("Insns = %+v", got)
	}
	f := b.Func()
	if f.Labels[allow] != 6 || f.Labels[deny] != 5 || f.Labels[0] != -1 {
		t.Errorf("Func().Labels = %v", f.Labels)
	}
}

func TestLinkErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"unbound label", func(b *Builder) { b.Goto(b.NewLabel()); b.Ret(0) }, "instruction 0: jump to label 1, which is never bound"},
		{"unknown label", func(b *Builder) { b.Goto(7); b.Ret(0) }, "instruction 0: jump to unknown label 7"},
		{"backward", func(b *Builder) {
			l := b.NewLabel()
			b.Bind(l)
			b.LoadAbs(0)
			b.JumpIf(BPF_JEQ, 1, l, 0)
			b.Ret(0)
		}, "instruction 1: backward jump to label 1 at instruction 0"},
		{"to itself", func(b *Builder) {
			l := b.NewLabel()
			b.Bind(l)
			b.Goto(l)
			b.Ret(0)
		}, "backward jump"},
		{"label bound at the end", func(b *Builder) {
			l := b.NewLabel()
			b.Goto(l)
			b.Ret(0)
			b.Bind(l)
		}, "bound after the last instruction"},
		{"fall off the end", func(b *Builder) { b.Ret(0); b.JumpIf(BPF_JEQ, 0, 0, 0) }, "instruction 1: jump past the last instruction"},
		{"target on a non-jump", func(b *Builder) {
			l := b.NewLabel()
			b.Emit(Insn{Op: BPF_RET | BPF_K, True: l})
			b.Bind(l)
			b.Ret(0)
		}, "instruction 0: ret #k is not a jump but has a jump target"},
		{"ja with false target", func(b *Builder) {
			l := b.NewLabel()
			b.Emit(Insn{Op: BPF_JMP | BPF_JA, True: l, False: l})
			b.Bind(l)
			b.Ret(0)
		}, "ja has a false target"},
		{"invalid result", func(b *Builder) { b.LoadAbs(2); b.Ret(0) }, "instruction 0: load offset 2 is not a multiple of 4"},
		{"no ret", func(b *Builder) { b.LoadAbs(0) }, "last instruction must be a ret"},
		{"empty", func(b *Builder) {}, "no instructions"},
		{"too long", func(b *Builder) {
			for range BPF_MAXINSNS + 1 {
				b.Ret(0)
			}
		}, "program has 4097 instructions, the kernel allows at most 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder()
			tt.build(b)
			p, notes, err := b.Link()
			if err == nil || p != nil || notes != nil {
				t.Fatalf("Link = %v, %v, %v; want an error", p, notes, err)
			}
			if err.Error() != tt.want && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Link error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestBindPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func(b *Builder)
	}{
		{"twice", func(b *Builder) { l := b.NewLabel(); b.Bind(l); b.Bind(l) }},
		{"zero", func(b *Builder) { b.Bind(0) }},
		{"unknown", func(b *Builder) { b.Bind(3) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f(NewBuilder())
		})
	}
}

func TestZeroBuilder(t *testing.T) {
	var b Builder
	l := b.NewLabel()
	b.Goto(l)
	b.Bind(l)
	b.Ret(retAllow)
	p, _, err := b.Link()
	if err != nil || len(p) != 2 {
		t.Errorf("Link = %v, %v", p, err)
	}
}

// far builds: ld [0]; jeq #k, T, F with the targets n instructions apart.
func TestLinkTrampolines(t *testing.T) {
	vm := NewVM(binary.LittleEndian)
	tests := []struct {
		name     string
		filler   int // instructions between the jumps and their targets
		jumps    int // jumps to the same far target
		maxTramp int // at most that many trampolines
	}{
		{"near", 250, 1, 0},
		{"255 exactly", 254, 1, 0},
		{"256", 255, 1, 1},
		{"300", 300, 1, 1},
		{"far", 1000, 1, 4},
		{"many jumps share", 600, 200, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder()
			hit := b.NewLabel()
			b.LoadAbs(OffsetNr)
			for i := range tt.jumps {
				b.JumpIf(BPF_JEQ, uint32(1000+i), hit, 0)
			}
			for i := range tt.filler {
				// A run of instructions a trampoline may not split.
				b.Emit(Insn{Op: BPF_ALU | BPF_ADD | BPF_K, K: uint32(i)})
			}
			b.Ret(retAllow)
			b.Bind(hit)
			b.SetNote("hit")
			b.Ret(retErrno | 1)
			p, notes, err := b.Link()
			if err != nil {
				t.Fatal(err)
			}
			if len(notes) != len(p) {
				t.Fatalf("%d notes for %d instructions", len(notes), len(p))
			}
			tramps := len(p) - (1 + tt.jumps + tt.filler + 2)
			if tramps > tt.maxTramp {
				t.Errorf("%d trampolines, want at most %d", tramps, tt.maxTramp)
			}
			for nr := range uint32(tt.jumps + 1) {
				want := uint32(retErrno | 1)
				if nr == uint32(tt.jumps) {
					want = retAllow
				}
				data := SeccompData{Nr: int32(1000 + nr)}.Marshal(binary.LittleEndian)
				got, _, err := vm.Run(p, data)
				if err != nil || got != want {
					t.Errorf("nr %d: Run = %#x, %v; want %#x", 1000+nr, got, err, want)
				}
			}
		})
	}
}

// TestLinkRandom links random programs with far jumps and compares them in
// the VM with a reference interpreter of the unlinked form.
func TestLinkRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vm := NewVM(binary.LittleEndian)
	iterations := 200
	if testing.Short() {
		iterations = 20
	}
	for it := range iterations {
		n := 300 + r.IntN(1200)
		nodes := randomFar(r, n)
		f := symbolic(nodes)
		p, _, err := f.Link()
		if err != nil {
			t.Fatalf("iteration %d: Link: %v", it, err)
		}
		for range 20 {
			data := randomData(r)
			want := runNodes(nodes, data, binary.LittleEndian)
			got, _, err := vm.Run(p, data)
			if err != nil || got != want {
				t.Fatalf("iteration %d: Run = %#x, %v; reference %#x", it, got, err, want)
			}
		}
	}
}

// randomFar returns random nodes, valid once linked, whose jumps may go
// anywhere ahead.
func randomFar(r *rand.Rand, n int) []node {
	for {
		nodes := make([]node, n)
		for i := range n - 1 {
			ins := randomInsn(r, i, n, 256)
			if ins.Op == BPF_LD|BPF_MEM || ins.Op == BPF_LDX|BPF_MEM {
				ins = Instruction{Op: BPF_LD | BPF_W | BPF_ABS}
			}
			nd := node{op: ins.Op, k: ins.K, t: -1, f: -1}
			far := func() int {
				if r.IntN(3) == 0 {
					return i + 1 + r.IntN(n-1-i)
				}
				return i + 1 + r.IntN(min(n-1-i, 4))
			}
			switch {
			case isJA(ins.Op):
				nd.k, nd.t = 0, far()
			case isCond(ins.Op):
				nd.t, nd.f = far(), far()
			}
			nodes[i] = nd
		}
		nodes[n-1] = node{op: BPF_RET | BPF_A, t: -1, f: -1}
		if memOK(nodes) {
			return nodes
		}
	}
}

func TestLinkTooLongWithTrampolines(t *testing.T) {
	// 4095 instructions, whose far jumps need trampolines beyond 4096.
	b := NewBuilder()
	end := b.NewLabel()
	b.LoadAbs(0)
	for range 1364 {
		b.JumpIf(BPF_JEQ, 1, end, 0)
		b.Emit(Insn{Op: BPF_ALU | BPF_ADD | BPF_K, K: 1})
		b.Emit(Insn{Op: BPF_ALU | BPF_ADD | BPF_K, K: 2})
	}
	b.Ret(0)
	b.Bind(end)
	b.Ret(1)
	if n := len(b.Insns()); n != 4095 {
		t.Fatalf("test premise: %d instructions", n)
	}
	_, _, err := b.Link()
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.HasPrefix(err.Error(), "program has 41") || !strings.HasSuffix(err.Error(), "instructions, the kernel allows at most 4096") {
		t.Errorf("Link error = %v, want too many instructions", err)
	}
}

func TestSymbolic(t *testing.T) {
	p := mustAssemble(t, `
		ld [0]
		jeq #1, 3, 2
		ja 4
		ret #1
		ret #2
	`)
	f, err := Symbolic(p)
	if err != nil {
		t.Fatal(err)
	}
	want := Func{
		Insns: []Insn{
			{Op: BPF_LD | BPF_W | BPF_ABS},
			{Op: BPF_JMP | BPF_JEQ | BPF_K, K: 1, True: 1},
			{Op: BPF_JMP | BPF_JA, True: 2},
			{Op: BPF_RET | BPF_K, K: 1},
			{Op: BPF_RET | BPF_K, K: 2},
		},
		Labels: []int{-1, 3, 4},
	}
	if !slices.Equal(f.Insns, want.Insns) || !slices.Equal(f.Labels, want.Labels) {
		t.Errorf("Symbolic = %+v, want %+v", f, want)
	}
	back, _, err := f.Link()
	if err != nil || !slices.Equal(back, p) {
		t.Errorf("Link(Symbolic(p)) = %v, %v; want p", back, err)
	}
	for _, bad := range []Program{
		{{Op: BPF_JMP | BPF_JA, K: 1}, {Op: BPF_RET}},
		{{Op: BPF_JMP | BPF_JEQ, Jf: 1}, {Op: BPF_RET}},
	} {
		if _, err := Symbolic(bad); err == nil {
			t.Errorf("Symbolic(%v) succeeded, want an error", bad)
		}
	}
}
