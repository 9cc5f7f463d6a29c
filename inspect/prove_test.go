package inspect_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/seccomp"
)

func ins(op uint16, k uint32) bpf.Instruction { return bpf.Instruction{Op: op, K: k} }

const (
	ldAbs = bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS
	alu   = bpf.BPF_ALU
	jmp   = bpf.BPF_JMP
)

// backdoor puts a trigger in front of p: the instructions of pre, then a
// conditional jump cond that goes to "ret ALLOW" when it holds and on to
// p when it does not (or the other way round with inverted).
func backdoor(p bpf.Program, cond bpf.Instruction, inverted bool, pre ...bpf.Instruction) bpf.Program {
	cond.Jt, cond.Jf = 0, 1
	if inverted {
		cond.Jt, cond.Jf = 1, 0
	}
	out := append(bpf.Program{}, pre...)
	out = append(out, cond, bpf.Instruction{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_ALLOW})
	return append(out, p...)
}

// TestCompareBackdoors: a filter that allows everything for one secret
// input, hidden behind every kind of instruction the kernel accepts,
// must never be called equal to the filter it was made from. Where the
// prover follows the instruction exactly, Compare finds the secret input;
// where it cannot (two input words combined, a verdict computed from the
// input), it says it cannot prove the two equal.
func TestCompareBackdoors(t *testing.T) {
	host := arch.X86_64
	d := compile(t, proftest.DockerDefault(host), host, seccomp.Options{})[0]
	const (
		arg0lo = 16
		arg0hi = 20
		arg1lo = 24
		ipLo   = 8
		secret = 0x5a5a5a5a
	)
	for _, tc := range []struct {
		name     string
		pre      []bpf.Instruction
		cond     bpf.Instruction
		inverted bool
		unproven bool // else the difference must be found
		allABIs  bool // compare on every ABI and an unknown one, not only on x86_64
	}{
		{name: "xor", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_XOR|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "add", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_ADD|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "sub", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_SUB|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "neg", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_NEG, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, secret)},
		{name: "mul", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_MUL|bpf.BPF_K, 3)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, secret)},
		{name: "mul even", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_MUL|bpf.BPF_K, 0x1000)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x35a5a000)},
		{name: "div", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_DIV|bpf.BPF_K, 7)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x1234567)},
		{name: "and", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_AND|bpf.BPF_K, 0xf0f0f0f0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x50a0b0c0)},
		{name: "or", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_OR|bpf.BPF_K, 0x0f0f0f0f)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x5fafbfcf)},
		{name: "lsh", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_LSH|bpf.BPF_K, 4)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0xa5a5a5a0)},
		{name: "rsh", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_RSH|bpf.BPF_K, 4)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x05a5a5a5)},
		{name: "jgt after xor", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_XOR|bpf.BPF_K, 0x80000000)}, cond: ins(jmp|bpf.BPF_JGT|bpf.BPF_K, 0xfffffff0)},
		{name: "jge after add", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_ADD|bpf.BPF_K, 0x10)}, cond: ins(jmp|bpf.BPF_JGE|bpf.BPF_K, 0xfffffff8)},
		{name: "jset after xor", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_XOR|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JSET|bpf.BPF_K, 0xffffffff), inverted: true},
		{name: "xor x", pre: []bpf.Instruction{ins(bpf.BPF_LDX|bpf.BPF_IMM, secret), ins(ldAbs, arg0lo), ins(alu|bpf.BPF_XOR|bpf.BPF_X, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "tax txa", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_MISC|bpf.BPF_TAX, 0), ins(bpf.BPF_LD|bpf.BPF_IMM, 7), ins(bpf.BPF_MISC|bpf.BPF_TXA, 0), ins(alu|bpf.BPF_SUB|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "scratch memory", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_ST, 3), ins(ldAbs, 0), ins(bpf.BPF_LD|bpf.BPF_MEM, 3)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, secret)},
		{name: "stx ldx", pre: []bpf.Instruction{ins(bpf.BPF_LDX|bpf.BPF_IMM, secret), ins(bpf.BPF_STX, 5), ins(ldAbs, arg0lo), ins(bpf.BPF_LDX|bpf.BPF_MEM, 5)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_X, 0)},
		{name: "jeq x with ld len", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_MISC|bpf.BPF_TAX, 0), ins(bpf.BPF_LD|bpf.BPF_W|bpf.BPF_LEN, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_X, 0)},
		{name: "ldx len", pre: []bpf.Instruction{ins(bpf.BPF_LDX|bpf.BPF_W|bpf.BPF_LEN, 0), ins(ldAbs, arg0lo), ins(alu|bpf.BPF_MUL|bpf.BPF_X, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x96969680)},
		{name: "rsh by the word itself", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_MISC|bpf.BPF_TAX, 0), ins(alu|bpf.BPF_RSH|bpf.BPF_X, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x2d2d2d)},
		{name: "divided by a constant, then compared", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(alu|bpf.BPF_DIV|bpf.BPF_K, 0x10000), ins(alu|bpf.BPF_XOR|bpf.BPF_K, 0x5a5a)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		// The quotient of a constant by the word grows beyond what the
		// prover follows: it gives up on the division.
		{name: "constant divided by the word", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_MISC|bpf.BPF_TAX, 0), ins(bpf.BPF_LD|bpf.BPF_IMM, 0xffffffff), ins(alu|bpf.BPF_DIV|bpf.BPF_X, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0x3fffffff), unproven: true},
		{name: "high word of an argument", pre: []bpf.Instruction{ins(ldAbs, arg0hi), ins(alu|bpf.BPF_XOR|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "instruction pointer", pre: []bpf.Instruction{ins(ldAbs, ipLo), ins(alu|bpf.BPF_ADD|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "number", pre: []bpf.Instruction{ins(ldAbs, 0), ins(alu|bpf.BPF_XOR|bpf.BPF_K, 0x1234)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)},
		{name: "architecture", pre: []bpf.Instruction{ins(ldAbs, 4), ins(alu|bpf.BPF_XOR|bpf.BPF_K, 0xdeadbeef)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0), allABIs: true},
		{name: "two words compared", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_MISC|bpf.BPF_TAX, 0), ins(ldAbs, arg1lo), ins(alu|bpf.BPF_XOR|bpf.BPF_K, secret)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_X, 0), unproven: true},
		{name: "two words added", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_MISC|bpf.BPF_TAX, 0), ins(ldAbs, arg1lo), ins(alu|bpf.BPF_ADD|bpf.BPF_X, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, secret), unproven: true},
		{name: "two words through memory", pre: []bpf.Instruction{ins(ldAbs, ipLo), ins(bpf.BPF_ST, 0), ins(ldAbs, arg1lo), ins(bpf.BPF_LDX|bpf.BPF_MEM, 0), ins(alu|bpf.BPF_MUL|bpf.BPF_X, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, secret), unproven: true},
		{name: "divided by another word", pre: []bpf.Instruction{ins(ldAbs, arg0lo), ins(bpf.BPF_MISC|bpf.BPF_TAX, 0), ins(ldAbs, arg1lo), ins(alu|bpf.BPF_DIV|bpf.BPF_X, 0)}, cond: ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, secret), unproven: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := backdoor(d, tc.cond, tc.inverted, tc.pre...)
			if err := b.Validate(); err != nil {
				t.Fatal(err)
			}
			o := inspect.CompareOptions{Arches: []arch.Arch{host}}
			if tc.allABIs {
				o.Arches = nil
			}
			ds, _, err := inspect.Compare(inspect.Stack{d}, inspect.Stack{b}, o)
			var np *inspect.NotProvenError
			switch {
			case tc.unproven:
				if !errors.As(err, &np) || !errors.Is(err, inspect.ErrNotProven) {
					t.Fatalf("Compare: %d differences, error %v; want a *NotProvenError", len(ds), err)
				}
				if np.Stack != 1 || np.Filter != 0 || np.PC < 0 || np.PC > len(tc.pre) || np.Instruction == "" {
					t.Errorf("the error names %+v", np)
				}
				t.Log(err)
			case err != nil:
				t.Fatalf("Compare: %v", err)
			case len(ds) == 0:
				t.Fatalf("Compare calls the backdoored filter equal:\n%s", bpf.Disassemble(b[:len(tc.pre)+2], bpf.DisasmOptions{}))
			default:
				// Every difference is the backdoor's ALLOW, and it is
				// really one: the example input gets ALLOW from b.
				for _, x := range ds {
					e := x.Examples[0]
					if e.B != seccomp.SECCOMP_RET_ALLOW || e.A == e.B {
						t.Errorf("%s %s: %#x vs %#x", x.Arch, x.Syscall, e.A, e.B)
					}
					order := host.ByteOrder()
					if x.Arch != arch.Invalid {
						order = x.Arch.ByteOrder()
					}
					va, _ := inspect.Stack{d}.Eval(order, e.Data)
					vb, _ := inspect.Stack{b}.Eval(order, e.Data)
					if va != e.A || vb != e.B {
						t.Errorf("%s %s: the example %+v gives %#x and %#x, not %#x and %#x", x.Arch, x.Syscall, e.Data, va, vb, e.A, e.B)
					}
				}
				t.Logf("%d differences, the first %s %s %+v", len(ds), ds[0].Arch, ds[0].Syscall, ds[0].Examples[0].Data)
			}
		})
	}
}

// TestCompareProvesALU: a filter that computes with the input but means
// the same as docker-default is proven equal, not only refused: the
// prover decides these cases rather than giving up on them.
func TestCompareProvesALU(t *testing.T) {
	host := arch.X86_64
	d := compile(t, proftest.DockerDefault(host), host, seccomp.Options{})[0]
	for name, pre := range map[string][]bpf.Instruction{
		// Both branches of the trigger go on to d.
		"jump to the same place": {ins(ldAbs, 16), ins(alu|bpf.BPF_XOR|bpf.BPF_K, 0x5a5a5a5a), {Op: jmp | bpf.BPF_JEQ | bpf.BPF_K, K: 0, Jt: 0, Jf: 0}},
		// x*2 is never odd: the trigger never fires.
		"impossible trigger": {ins(ldAbs, 16), ins(alu|bpf.BPF_MUL|bpf.BPF_K, 2), {Op: jmp | bpf.BPF_JEQ | bpf.BPF_K, K: 0x5a5a5a5b, Jt: 0, Jf: 1}, ins(bpf.BPF_RET|bpf.BPF_K, seccomp.SECCOMP_RET_ALLOW)},
	} {
		b := append(append(bpf.Program{}, pre...), d...)
		ds, _, err := inspect.Compare(inspect.Stack{d}, inspect.Stack{b}, inspect.CompareOptions{Arches: []arch.Arch{host}})
		if err != nil || len(ds) != 0 {
			t.Errorf("%s: %v, %v", name, diffNames(ds), err)
		}
	}
}

// TestCompareInputBound: a search cut short by MaxInputs is no proof.
func TestCompareInputBound(t *testing.T) {
	host := arch.X86_64
	d := compile(t, proftest.DockerDefault(host), host, seccomp.Options{})
	ds, _, err := inspect.Compare(d, d, inspect.CompareOptions{Arches: []arch.Arch{host}, MaxInputs: 2})
	if !errors.Is(err, inspect.ErrNotProven) || len(ds) != 0 {
		t.Fatalf("%v, %v", diffNames(ds), err)
	}
	if want := fmt.Sprintf("more than %d argument inputs", 2); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

// TestCompareRandomTriggers: random chains of ALU operations on one
// argument word, ending in a comparison that a random secret value
// satisfies, put in front of a small filter. The secret makes the trigger
// reachable, so Compare must find a difference (and its example must
// really differ) or say it cannot prove the two equal; never call them
// equal.
func TestCompareRandomTriggers(t *testing.T) {
	host := arch.X86_64
	base := bpf.Program{
		ins(ldAbs, 4),
		{Op: jmp | bpf.BPF_JEQ | bpf.BPF_K, K: host.Audit(), Jt: 0, Jf: 3},
		ins(ldAbs, 0),
		{Op: jmp | bpf.BPF_JEQ | bpf.BPF_K, K: 169, Jt: 0, Jf: 1},
		ins(bpf.BPF_RET|bpf.BPF_K, seccomp.SECCOMP_RET_KILL_PROCESS),
		ins(bpf.BPF_RET|bpf.BPF_K, seccomp.SECCOMP_RET_ALLOW),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ops := []uint16{bpf.BPF_ADD, bpf.BPF_SUB, bpf.BPF_MUL, bpf.BPF_DIV, bpf.BPF_OR, bpf.BPF_AND, bpf.BPF_LSH, bpf.BPF_RSH, bpf.BPF_XOR, bpf.BPF_NEG}
	found, unproven := 0, 0
	n := 100
	if testenv.Race {
		n = 20 // test.sh runs all 100 without the race detector
	}
	for i := range n {
		word := uint32(8 + 4*rng.IntN(14)) // the instruction pointer or an argument word
		secret := rng.Uint32()
		pre := []bpf.Instruction{ins(ldAbs, word)}
		v := secret
		for range 1 + rng.IntN(4) {
			op := ops[rng.IntN(len(ops))]
			k := rng.Uint32()
			switch op {
			case bpf.BPF_DIV:
				k = 1 + k%0x10000
				v /= k
			case bpf.BPF_LSH:
				k %= 32
				v <<= k
			case bpf.BPF_RSH:
				k %= 32
				v >>= k
			case bpf.BPF_ADD:
				v += k
			case bpf.BPF_SUB:
				v -= k
			case bpf.BPF_MUL:
				v *= k
			case bpf.BPF_OR:
				v |= k
			case bpf.BPF_AND:
				k |= rng.Uint32() // keep some bits
				v &= k
			case bpf.BPF_XOR:
				v ^= k
			case bpf.BPF_NEG:
				v = -v
			}
			if op == bpf.BPF_NEG {
				pre = append(pre, ins(alu|bpf.BPF_NEG, 0))
			} else {
				pre = append(pre, ins(alu|op|bpf.BPF_K, k))
			}
		}
		var cond bpf.Instruction
		switch rng.IntN(4) {
		case 0:
			cond = ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, v)
		case 1: // v > v-1, unless v is 0
			if v == 0 {
				cond = ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)
			} else {
				cond = ins(jmp|bpf.BPF_JGT|bpf.BPF_K, v-1)
			}
		case 2:
			cond = ins(jmp|bpf.BPF_JGE|bpf.BPF_K, v)
		case 3:
			if v == 0 {
				cond = ins(jmp|bpf.BPF_JEQ|bpf.BPF_K, 0)
			} else {
				cond = ins(jmp|bpf.BPF_JSET|bpf.BPF_K, v)
			}
		}
		b := backdoor(base, cond, false, pre...)
		b[len(pre)+1].K = seccomp.SECCOMP_RET_ERRNO | 5 // a verdict base never gives
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		ds, _, err := inspect.Compare(inspect.Stack{base}, inspect.Stack{b}, inspect.CompareOptions{Arches: []arch.Arch{host}})
		switch {
		case errors.Is(err, inspect.ErrNotProven):
			unproven++
		case err != nil:
			t.Fatal(err)
		case len(ds) == 0:
			t.Fatalf("case %d: Compare calls a filter with a reachable trigger (secret %#x) equal:\n%s", i, secret, bpf.Disassemble(b, bpf.DisasmOptions{}))
		default:
			found++
			e := ds[0].Examples[0]
			if got, _ := (inspect.Stack{b}).Eval(host.ByteOrder(), e.Data); got != e.B || e.B != seccomp.SECCOMP_RET_ERRNO|5 {
				t.Fatalf("case %d: the example %+v gives %#x, said %#x", i, e.Data, got, e.B)
			}
		}
	}
	t.Logf("%d triggers found, %d cannot be proven either way", found, unproven)
	if found < n/2 {
		t.Errorf("only %d of %d triggers found", found, n)
	}
}
