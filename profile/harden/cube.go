package harden

import (
	"math/bits"

	"github.com/syscage/syscage/profile"
)

// A cube is the set of values x with x & mask == value: one MASKED_EQ
// comparison. Every cube here has a mask within the low bits the kernel
// uses of its argument, so its verdict depends on those bits alone.
type cube struct{ mask, value uint64 }

func (c cube) cond(arg uint8) profile.Cond {
	return profile.Cond{Arg: arg, Op: profile.OpMaskedEQ, Value: c.mask, ValueTwo: c.value}
}

func (c cube) has(x uint64) bool { return x&c.mask == c.value }

// disjoint reports whether no value is in both cubes.
func (c cube) disjoint(d cube) bool { return (c.value^d.value)&c.mask&d.mask != 0 }

// lowMask returns the mask of the low w bits.
func lowMask(w int) uint64 {
	if w >= 64 {
		return ^uint64(0)
	}
	return 1<<w - 1
}

// cubesOf returns the cond c as the kernel applies it to an argument it
// truncates to w bits: a set of disjoint cubes on the low w bits whose
// union holds exactly the values c accepts, the argument read as its low
// w bits. all is true when c holds for every value (no cube needed).
//
// The datum is taken as the w-bit value it stands for: its low w bits
// when its high bits are zero or a sign extension (0xffffffffffffff9c is
// the int -100), as libseccomp does on 32-bit ABIs; an ordered
// comparison with a datum above every w-bit value compares the
// zero-extended argument, so it always or never holds.
func cubesOf(c profile.Cond, w int) (cubes []cube, all bool) {
	m := lowMask(w)
	switch c.Op {
	case profile.OpEQ:
		return []cube{{m, c.Value & m}}, false
	case profile.OpMaskedEQ:
		mask := c.Value & m
		if mask == 0 {
			return nil, true
		}
		return []cube{{mask, c.ValueTwo & mask}}, false
	case profile.OpNE:
		return complement(cube{0, 0}, []uint64{c.Value & m}, m), false
	}
	d := c.Value
	signExt := ^uint64(0) &^ (lowMask(w - 1)) // the sign-extended negative w-bit values start here
	switch {
	case d <= m:
	case d >= signExt:
		d &= m
	default:
		less := c.Op == profile.OpLT || c.Op == profile.OpLE
		if less {
			return nil, true
		}
		return nil, false
	}
	var lo, hi uint64
	switch c.Op {
	case profile.OpLT:
		if d == 0 {
			return nil, false
		}
		lo, hi = 0, d-1
	case profile.OpLE:
		lo, hi = 0, d
	case profile.OpGT:
		if d == m {
			return nil, false
		}
		lo, hi = d+1, m
	case profile.OpGE:
		lo, hi = d, m
	default:
		return nil, false
	}
	if lo == 0 && hi == m {
		return nil, true
	}
	return interval(lo, hi, m), false
}

// interval returns [lo, hi] as disjoint cubes within mask m (w < 64
// bits): aligned power-of-two blocks, at most two per bit.
func interval(lo, hi, m uint64) []cube {
	var out []cube
	for {
		// The largest aligned block that starts at lo and ends by hi.
		k := 0
		for k < 63 {
			size := uint64(1) << (k + 1)
			if lo&(size-1) != 0 || lo+size-1 > hi {
				break
			}
			k++
		}
		size := uint64(1) << k
		out = append(out, cube{m &^ (size - 1), lo})
		if lo+size-1 >= hi {
			return out
		}
		lo += size
	}
}

// complement returns the values of cube c (within mask m) other than
// points, as disjoint cubes: c split on its free bits, highest first,
// until no part holds a point.
func complement(c cube, points []uint64, m uint64) []cube {
	var in []uint64
	for _, p := range points {
		if c.has(p & m) {
			in = append(in, p&m)
		}
	}
	if len(in) == 0 {
		return []cube{c}
	}
	free := m &^ c.mask
	if free == 0 {
		return nil // c is a single point, and it is excluded
	}
	bit := uint64(1) << (63 - bits.LeadingZeros64(free))
	zero := cube{c.mask | bit, c.value}
	one := cube{c.mask | bit, c.value | bit}
	return append(complement(zero, in, m), complement(one, in, m)...)
}
