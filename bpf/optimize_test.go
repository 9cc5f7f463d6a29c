package bpf

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestPasses(t *testing.T) {
	tests := []struct {
		name string
		pass func([]node) []node
		in   string
		want string
	}{
		{
			name: "thread: jump to ja, ja to ret",
			pass: threadJumps,
			in: `
				ld [0]
				jeq #1, 2, 3
				ja 4
				ret #1
				ret #2 ; two`,
			want: `
				ld [0]
				jeq #1, 4, 3
				ret KILL_THREAD(2) ; two
				ret KILL_THREAD(1)
				ret KILL_THREAD(2) ; two`,
		},
		{
			name: "thread: ja chains",
			pass: threadJumps,
			in: `
				ja 1
				ja 3
				ret #0
				ja 4
				ld [0]
				ret a`,
			want: `
				ja 4
				ja 4
				ret KILL_THREAD
				ja 4
				ld [0]
				ret a`,
		},
		{
			name: "thread: decided by the same test",
			pass: threadJumps,
			in: `
				ld [0]
				jeq #5, 2, 3
				jeq #5, 4, 5
				jeq #5, 4, 5
				ret #1
				ret #2`,
			want: `
				ld [0]
				jeq #5, 4, 5
				jeq #5, 4, 5
				jeq #5, 4, 5
				ret KILL_THREAD(1)
				ret KILL_THREAD(2)`,
		},
		{
			name: "thread: decided by A equal to a constant",
			pass: threadJumps,
			in: `
				ld [0]
				jeq #5, 2, 4
				jgt #3, 3, 6
				jset #0x2, 6, 5
				jgt #3, 5, 6
				ret #1
				ret #2`,
			want: `
				ld [0]
				jeq #5, 5, 4
				jgt #3, 3, 6
				jset #0x2, 6, 5
				jgt #3, 5, 6
				ret KILL_THREAD(1)
				ret KILL_THREAD(2)`,
		},
		{
			name: "thread: x tests, decided only by the same test",
			pass: threadJumps,
			in: `
				jeq x, 1, 2
				jeq x, 3, 4
				jgt x, 3, 4
				ret #1
				ret #2`,
			want: `
				jeq x, 3, 2
				jeq x, 3, 4
				jgt x, 3, 4
				ret KILL_THREAD(1)
				ret KILL_THREAD(2)`,
		},
		{
			name: "thread: stops at a changed A",
			pass: threadJumps,
			in: `
				jeq #5, 1, 1
				add #1
				jeq #5, 3, 4
				ret #1
				ret #2`,
			want: `
				jeq #5, 1, 1
				add #1
				jeq #5, 3, 4
				ret KILL_THREAD(1)
				ret KILL_THREAD(2)`,
		},
		{
			name: "same targets",
			pass: sameTargets,
			in: `
				ld [0]
				jeq #1, 3, 3 ; n
				jgt #1, 3, 4
				ret #1
				ret #2`,
			want: `
				ld [0]
				ja 3 ; n
				jgt #1, 3, 4
				ret KILL_THREAD(1)
				ret KILL_THREAD(2)`,
		},
		{
			name: "remove nops",
			pass: removeNops,
			in: `
				jeq #1, 1, 2
				ja 2
				ja 3
				ret #1`,
			want: `
				jeq #1, 1, 1
				ret KILL_THREAD(1)`,
		},
		{
			name: "remove unreachable",
			pass: removeUnreachable,
			in: `
				jeq #1, 1, 3
				ret #1
				ret #2
				ja 5
				ret #3
				ret #4`,
			want: `
				jeq #1, 1, 2
				ret KILL_THREAD(1)
				ja 3
				ret KILL_THREAD(4)`,
		},
		{
			name: "merge identical rets",
			pass: mergeTails,
			in: `
				ld [0]
				jeq #1, 3, 2
				jeq #2, 4, 5
				ret ALLOW ; r1
				ret ALLOW ; r2
				ret ALLOW ; r2`,
			want: `
				ld [0]
				jeq #1, 5, 2
				jeq #2, 5, 5
				ret ALLOW ; r1
				ret ALLOW ; r2
				ret ALLOW`,
		},
		{
			name: "merge identical rets with the same note",
			pass: mergeTails,
			in: `
				ld [0]
				jeq #1, 2, 3
				ret ALLOW ; ok
				ret ALLOW ; ok`,
			want: `
				ld [0]
				jeq #1, 3, 3
				ret ALLOW ; ok
				ret ALLOW ; ok`,
		},
		{
			name: "merge tails",
			pass: mergeTails,
			in: `
				ld [0]
				jeq #1, 2, 5
				ld [16]
				jeq #0, 8, 9
				ret #7
				ld [16]
				jeq #0, 8, 9
				ret #7
				ret ALLOW
				ret ERRNO(1)`,
			want: `
				ld [0]
				jeq #1, 5, 5
				ld [16]
				jeq #0, 8, 9
				ret KILL_THREAD(7)
				ld [16]
				jeq #0, 8, 9
				ret KILL_THREAD(7)
				ret ALLOW
				ret ERRNO(1)`,
		},
		{
			name: "tails differ",
			pass: mergeTails,
			in: `
				jeq #1, 1, 3
				ld [16]
				ret a
				ld [20]
				ret a`,
			want: `
				jeq #1, 1, 3
				ld [16]
				ret a
				ld [20]
				ret a`,
		},
		{
			name: "redundant loads",
			pass: removeRedundantLoads,
			in: `
				ld [0]
				jeq #1, 2, 4
				ld [0]
				jeq #2, 6, 5
				ld [0]
				ldx #3
				ld [0]
				ret a`,
			want: `
				ld [0]
				jeq #1, 2, 3
				jeq #2, 4, 3
				ldx #3
				ret a`,
		},
		{
			name: "loads kept when A may differ",
			pass: removeRedundantLoads,
			in: `
				ld [0]
				jeq #1, 2, 3
				ld [4]
				ld [0]
				tax
				add #1
				ld [0]
				ret a`,
			want: `
				ld [0]
				jeq #1, 2, 3
				ld [4]
				ld [0]
				tax
				add #1
				ld [0]
				ret a`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := nodesOf(t, tt.in)
			before := slices.Clone(in)
			got := textOf(tt.pass(in))
			if got != trimLines(tt.want) {
				t.Errorf("got\n%s\nwant\n%s", got, trimLines(tt.want))
			}
			if !slices.Equal(in, before) {
				t.Error("the pass modified its argument")
			}
		})
	}
}

func TestOptimize(t *testing.T) {
	// What a straightforward compiler emits: an arch check, a load of nr per
	// rule, jumps to shared labels through jas.
	b := NewBuilder()
	kill, allow, deny, next1, next2 := b.NewLabel(), b.NewLabel(), b.NewLabel(), b.NewLabel(), b.NewLabel()
	b.SetNote("arch")
	b.LoadAbs(OffsetArch)
	b.JumpIf(BPF_JEQ, 0xc000003e, 0, kill)
	b.SetNote("read")
	b.LoadAbs(OffsetNr)
	b.JumpIf(BPF_JEQ, 0, 0, next1)
	b.Goto(allow)
	b.Bind(next1)
	b.SetNote("write")
	b.LoadAbs(OffsetNr)
	b.JumpIf(BPF_JEQ, 1, 0, next2)
	b.Ret(retAllow)
	b.Bind(next2)
	b.SetNote("execve")
	b.LoadAbs(OffsetNr)
	b.JumpIf(BPF_JEQ, 59, deny, deny)
	b.Bind(deny)
	b.SetNote("default")
	b.Ret(retErrno | 1)
	b.Bind(allow)
	b.SetNote("allow")
	b.Ret(retAllow)
	b.Bind(kill)
	b.SetNote("bad arch")
	b.Ret(retKillProcess)

	f, err := Optimize(b.Func())
	if err != nil {
		t.Fatal(err)
	}
	p, notes, err := f.Link()
	if err != nil {
		t.Fatal(err)
	}
	got := Disassemble(p, DisasmOptions{Notes: notes})
	want := `
		0: ld [4]                   ; arch; arch
		1: jeq #0xc000003e, 2, 7    ; arch
		2: ld [0]                   ; nr; read
		3: jeq #0, 6, 4             ; read
		4: jeq #1, 6, 5             ; write
		5: ret ERRNO(1)             ; default
		6: ret ALLOW
		7: ret KILL_PROCESS         ; bad arch`
	if trimLines(got) != trimLines(want) {
		t.Errorf("Optimize =\n%s\nwant\n%s", got, trimLines(want))
	}
	again, err := Optimize(f)
	if err != nil || !slices.Equal(again.Insns, f.Insns) {
		t.Errorf("Optimize is not idempotent:\n%+v\n%+v", again.Insns, f.Insns)
	}
}

func TestOptimizeErrors(t *testing.T) {
	tests := []struct {
		name string
		f    Func
		want string
	}{
		{"empty", Func{}, "no instructions"},
		{"unbound label", Func{Insns: []Insn{{Op: BPF_JMP | BPF_JA, True: 1}, {Op: BPF_RET}}, Labels: []int{-1, -1}}, "never bound"},
		{"bad opcode", Func{Insns: []Insn{{Op: BPF_LD | BPF_H | BPF_ABS}, {Op: BPF_RET}}}, "instruction 0: opcode 0x28 (ldh [k]) is not allowed"},
		{"bad operand", Func{Insns: []Insn{{Op: BPF_ALU | BPF_DIV}, {Op: BPF_RET}}}, "division by zero"},
		{"no ret", Func{Insns: []Insn{{Op: BPF_LD | BPF_IMM}}}, "last instruction must be a ret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Optimize(tt.f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Optimize error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// The kernel's scratch memory check does not reset after a ret: removing
// the unreachable store below would make it refuse the program.
func TestOptimizeKeepsKernelMemoryCheck(t *testing.T) {
	p := mustAssemble(t, `
		jeq #1, 1, 3
		st M[0]
		jeq #2, 5, 6
		ret #1
		st M[0]
		ld M[0]
		ret a
	`)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	unreachable := removeUnreachable(nodesOf(t, Disassemble(p, DisasmOptions{})))
	if memOK(unreachable) {
		t.Fatal("test premise: removing the store should break the kernel's check")
	}
	f, err := Symbolic(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err = Optimize(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Link(); err != nil {
		t.Errorf("optimized program is refused: %v", err)
	}
}

// TestOptimizeRandom runs random programs before and after optimization in
// the VM over many inputs and compares the results.
func TestOptimizeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vm := NewVM(binary.LittleEndian)
	iterations, inputs := 3000, 200
	if testing.Short() {
		iterations = 300
	}
	var before, after int
	for it := range iterations {
		n := 2 + r.IntN(60)
		p := randomProgram(r, n, 1+r.IntN(n))
		f, err := Symbolic(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err = Optimize(f)
		if err != nil {
			t.Fatalf("iteration %d: Optimize: %v\n%s", it, err, Disassemble(p, DisasmOptions{}))
		}
		q, _, err := f.Link()
		if err != nil {
			t.Fatalf("iteration %d: Link: %v\n%s", it, err, Disassemble(p, DisasmOptions{}))
		}
		if len(q) > len(p) {
			t.Errorf("iteration %d: optimized program has %d instructions, the original %d", it, len(q), len(p))
		}
		before += len(p)
		after += len(q)
		for range inputs {
			data := randomData(r)
			want, wantN, err := vm.Run(p, data)
			if err != nil {
				t.Fatal(err)
			}
			got, gotN, err := vm.Run(q, data)
			if err != nil || got != want || gotN > wantN {
				t.Fatalf("iteration %d: optimized returns %#x after %d (%v), original %#x after %d\noriginal:\n%s\noptimized:\n%s",
					it, got, gotN, err, want, wantN, Disassemble(p, DisasmOptions{}), Disassemble(q, DisasmOptions{}))
			}
		}
	}
	t.Logf("%d instructions before, %d after", before, after)
}

// farText returns ld [0]; jeq #1, 2, 3; ja end; filler adds; tail.
func farText(filler int, tail string) string {
	var sb strings.Builder
	sb.WriteString("ld [0]\n")
	sb.WriteString("jeq #1, 2, 3\n")
	sb.WriteString("ja end\n")
	for range filler {
		sb.WriteString("add #1\n")
	}
	sb.WriteString(tail)
	return sb.String()
}

func TestPassesRespectReach(t *testing.T) {
	tests := []struct {
		name  string
		pass  func([]node) []node
		text  string
		insn  int
		wantT int // true target of instruction insn after the pass
	}{
		{
			// jeq's true edge goes to "ja end"; threading it would make it
			// skip more than 255.
			name: "thread stops at reach",
			pass: threadJumps,
			text: farText(300, "ret #0\nend: ret #1\n"),
			insn: 1, wantT: 2,
		},
		{
			name: "thread within reach",
			pass: threadJumps,
			text: farText(200, "ret #0\nend: ret #1\n"),
			insn: 1, wantT: 204,
		},
		{
			// Two equal rets: the jump goes to the last one in reach.
			name: "merge within reach",
			pass: mergeTails,
			text: "ld [0]\njeq #1, 2, 3\nret #5\n" + strings.Repeat("ret #5\n", 300),
			insn: 1, wantT: 257,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.pass(nodesOf(t, tt.text))
			if got[tt.insn].t != tt.wantT {
				t.Errorf("true target = %d, want %d", got[tt.insn].t, tt.wantT)
			}
		})
	}
}

// TestOptimizeRandomLarge checks long programs, whose jumps may be far:
// the optimized program is never longer (no new trampolines) and behaves
// the same.
func TestOptimizeRandomLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	vm := NewVM(binary.LittleEndian)
	iterations := 100
	if testing.Short() {
		iterations = 10
	}
	for it := range iterations {
		n := 256 + r.IntN(1500)
		p := randomProgram(r, n, 256)
		f, err := Symbolic(p)
		if err != nil {
			t.Fatal(err)
		}
		if f, err = Optimize(f); err != nil {
			t.Fatal(err)
		}
		q, _, err := f.Link()
		if err != nil {
			t.Fatal(err)
		}
		if len(q) > len(p) {
			t.Errorf("iteration %d: optimized program has %d instructions, the original %d", it, len(q), len(p))
		}
		for range 50 {
			data := randomData(r)
			want, _, _ := vm.Run(p, data)
			got, _, err := vm.Run(q, data)
			if err != nil || got != want {
				t.Fatalf("iteration %d: optimized returns %#x (%v), original %#x", it, got, err, want)
			}
		}
	}
}

// TestMergeTailsNeverJumpsBack: a conditional jump to a ja whose target
// is out of reach must not be merged with an equivalent instruction that
// lies behind the jump.
func TestMergeTailsNeverJumpsBack(t *testing.T) {
	b := NewBuilder()
	allow, next, hop, far := b.NewLabel(), b.NewLabel(), b.NewLabel(), b.NewLabel()
	b.LoadAbs(OffsetNr)
	b.JumpIf(BPF_JEQ, 1, allow, next)
	b.Bind(allow)
	b.Ret(0x7fff0000) // 2: equivalent to the far ret, behind the jump below
	b.Bind(next)
	b.JumpIf(BPF_JEQ, 2, hop, hop) // 3: jumps to a ja
	b.Bind(hop)
	b.Goto(far) // 4: target out of a conditional jump's reach
	for i := 0; i < 300; i++ {
		b.JumpIf(BPF_JEQ, uint32(100+i), 0, 0)
	}
	b.Bind(far)
	b.Ret(0x7fff0000)
	out := mergeTails(mustNodes(t, b.Func()))
	for i, nd := range out {
		if (isCond(nd.op) || isJA(nd.op)) && ((nd.t >= 0 && nd.t <= i) || (nd.f >= 0 && nd.f <= i)) {
			t.Fatalf("instruction %d jumps backward: %+v", i, nd)
		}
	}
}

func mustNodes(t *testing.T, f Func) []node {
	t.Helper()
	nodes, err := f.nodes()
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}
