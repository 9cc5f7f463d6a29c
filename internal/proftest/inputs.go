package proftest

import (
	"math/bits"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// maxPerSyscall bounds the argument vectors Inputs makes for one
// conditional system call.
const maxPerSyscall = 40

// Inputs returns the system calls of ABI a to check a filter built from p
// on, to be laid out in a's byte order:
//
//   - every number of a's table, with zero arguments;
//   - numbers beyond the table: the highest plus 1 and plus 100,
//     0x3fffffff, 0x40000000 and 0x40000001, 0x7fffffff, 0x80000000,
//     0xfffffffe, 0xffffffff, ARM's private calls 0xf0001 to 0xf0006, and
//     the numbers the profile names with the x32 bit flipped;
//   - for each system call with conditions on a (directly, or through
//     socketcall(2) or ipc(2)), argument vectors around every condition's
//     boundaries: v-1, v, v+1, each 32-bit half of v alone, v with its
//     high word changed, and for SCMP_CMP_MASKED_EQ the masked datum with
//     the bits outside the mask set and with single mask bits flipped;
//     each applied to all-zero arguments and to arguments that satisfy
//     each rule (so that every condition but one holds), with a few edge
//     values of every argument besides;
//   - the first number of the table from ABIs the filter does not cover
//     (arch values of other ABIs, and 0).
func Inputs(p *profile.Profile, a arch.Arch) []bpf.SeccompData {
	var out []bpf.SeccompData
	seen := map[uint32]bool{}
	plain := func(nr uint32) {
		if !seen[nr] {
			seen[nr] = true
			out = append(out, bpf.SeccompData{Nr: int32(nr), Arch: a.Audit()})
		}
	}
	for _, s := range a.Syscalls() {
		plain(s.Nr)
	}
	m := a.MaxSyscall()
	for _, nr := range []uint32{
		0, 1, m + 1, m + 100, 0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff, 0x80000000,
		0xfffffffe, 0xffffffff, 0xf0001, 0xf0002, 0xf0003, 0xf0004, 0xf0005, 0xf0006,
	} {
		plain(nr)
	}

	rules := rulesOn(p, a)
	for _, nr := range named(p, a) {
		plain(nr ^ arch.X32SyscallBit)
	}
	for _, nr := range sortedKeys(rules) {
		for _, args := range argVectors(rules[nr], a.Bits() == 32) {
			out = append(out, bpf.SeccompData{Nr: int32(nr), Arch: a.Audit(), Args: args})
		}
	}

	// ABIs the filter does not cover.
	covered := map[uint32]bool{}
	for _, b := range p.Arches {
		covered[b.Audit()] = true
	}
	first := a.Syscalls()[0].Nr
	for _, b := range []arch.Arch{arch.X86_64, arch.X86, arch.AARCH64, arch.S390X, arch.RISCV64} {
		if !covered[b.Audit()] {
			out = append(out, bpf.SeccompData{Nr: int32(first), Arch: b.Audit()})
			break
		}
	}
	out = append(out, bpf.SeccompData{Nr: int32(first), Arch: 0})
	return out
}

// rulesOn returns, for every system-call number of a that a rule with
// conditions reaches, the condition groups as libseccomp receives them
// (runc's splitting of repeated indices, and the multiplexers' first
// argument).
func rulesOn(p *profile.Profile, a arch.Arch) map[uint32][][]profile.Cond {
	out := map[uint32][][]profile.Cond{}
	for _, r := range p.Rules {
		if len(r.Conds) == 0 {
			continue
		}
		for _, name := range r.Names {
			for _, g := range profile.Conjunctions(r.Conds) {
				if nr, ok := a.SyscallNumber(name); ok {
					out[nr] = append(out[nr], g)
				}
				if mx, ok := a.Multiplexed(name); ok {
					mc := []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: uint64(mx.Call)}}
					for _, c := range g {
						if c.Arg != 0 {
							mc = append(mc, c)
						}
					}
					out[mx.Nr] = append(out[mx.Nr], mc)
				}
			}
		}
	}
	return out
}

// named returns the numbers of a that the rules of p name, directly or
// through a multiplexer, sorted.
func named(p *profile.Profile, a arch.Arch) []uint32 {
	seen := map[uint32][][]profile.Cond{}
	for _, r := range p.Rules {
		for _, name := range r.Names {
			if nr, ok := a.SyscallNumber(name); ok {
				seen[nr] = nil
			}
			if mx, ok := a.Multiplexed(name); ok {
				seen[mx.Nr] = nil
			}
		}
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[uint32][][]profile.Cond) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// argVectors returns the argument vectors for one system call with the
// given rules, at most maxPerSyscall of them, all-zero bases first.
func argVectors(rules [][]profile.Cond, narrow bool) [][6]uint64 {
	var out [][6]uint64
	seen := map[[6]uint64]bool{}
	add := func(v [6]uint64) bool {
		if len(out) >= maxPerSyscall {
			return false
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
		return true
	}
	var conds []profile.Cond
	for _, r := range rules {
		conds = append(conds, r...)
	}
	bases := [][6]uint64{{}}
	for _, r := range rules {
		var b [6]uint64
		for _, c := range r {
			b[c.Arg] = satisfy(c, narrow)
		}
		bases = append(bases, b)
	}
	for _, b := range bases {
		add(b)
		for _, c := range conds {
			for _, v := range boundaries(c) {
				x := b
				x[c.Arg] = v
				if !add(x) {
					return out
				}
			}
		}
	}
	for i := 0; i <= profile.MaxArg; i++ {
		for _, v := range []uint64{1, 0xffffffff, 0x100000000, ^uint64(0)} {
			var x [6]uint64
			x[i] = v
			if !add(x) {
				return out
			}
		}
	}
	return out
}

// satisfy returns a value for which c holds, when there is one; on 32-bit
// ABIs (narrow) one for which c's low-word form holds.
func satisfy(c profile.Cond, narrow bool) uint64 {
	if narrow {
		c = c.Low32()
	}
	v := c.Value
	switch c.Op {
	case profile.OpNE:
		return v ^ 1
	case profile.OpLT:
		if v == 0 {
			return 0
		}
		return v - 1
	case profile.OpGT:
		if narrow && v == 0xffffffff || v == ^uint64(0) {
			return v
		}
		return v + 1
	case profile.OpMaskedEQ:
		return c.ValueTwo & c.Value
	default: // EQ, LE, GE
		return v
	}
}

// boundaries returns the values around c's boundary.
func boundaries(c profile.Cond) []uint64 {
	const lo, hi = 0xffffffff, 0xffffffff00000000
	if c.Op != profile.OpMaskedEQ {
		v := c.Value
		return []uint64{v - 1, v, v + 1, v & lo, v & hi, v ^ 1<<32}
	}
	m := c.Value
	t := c.ValueTwo & m
	out := []uint64{t, t | ^m, t & lo, t & hi}
	if m != 0 {
		out = append(out, t^(m&-m), t^(1<<(63-bits.LeadingZeros64(m))))
	}
	if mh := m & hi; mh != 0 {
		out = append(out, t^(mh&-mh))
	}
	return out
}
