package harden

import (
	"testing"

	"github.com/syscage/syscage/profile"
)

// TestCubesOf checks, for every operator and many data, over every value
// of an 8-bit argument, that the cubes are disjoint and hold exactly the
// values the comparison accepts when the argument is read as its low 8
// bits and the datum as the 8-bit value it stands for.
func TestCubesOf(t *testing.T) {
	const w = 8
	m := lowMask(w)
	data := []uint64{0, 1, 2, 0x28, 0x7f, 0x80, 0xfe, 0xff, 0x100, 0x1ff, 0x12345, 0xffffffffffffff80, 0xffffffffffffff9c, 0xffffffffffffffff, 0x8000000000000000}
	ops := []profile.Op{profile.OpEQ, profile.OpNE, profile.OpLT, profile.OpLE, profile.OpGT, profile.OpGE, profile.OpMaskedEQ}
	for _, op := range ops {
		for _, d := range data {
			for _, d2 := range []uint64{0, 0x28, 0xff, 0x1ff} {
				if op != profile.OpMaskedEQ && d2 != 0 {
					continue
				}
				c := profile.Cond{Op: op, Value: d, ValueTwo: d2}
				cubes, all := cubesOf(c, w)
				for x := uint64(0); x <= m; x++ {
					n := 0
					for _, cb := range cubes {
						if cb.mask&^m != 0 {
							t.Fatalf("%s: cube %#x/%#x reaches above bit %d", c, cb.mask, cb.value, w)
						}
						if cb.has(x) {
							n++
						}
					}
					if n > 1 {
						t.Fatalf("%s: value %#x in %d cubes", c, x, n)
					}
					got := all || n == 1
					if want := reference(c, x, w); got != want {
						t.Fatalf("%s on the %d-bit value %#x: cubes say %v, want %v (cubes %x)", c, w, x, got, want, cubes)
					}
				}
			}
		}
	}
}

// reference states what a comparison means for an argument the kernel
// truncates to w bits, value by value.
func reference(c profile.Cond, x uint64, w int) bool {
	m := lowMask(w)
	switch c.Op {
	case profile.OpEQ, profile.OpNE, profile.OpMaskedEQ:
		return profile.Cond{Op: c.Op, Value: c.Value & m, ValueTwo: c.ValueTwo & m}.Match(x)
	}
	d := c.Value
	negative := d>>(w-1) == ^uint64(0)>>(w-1) // a sign-extended w-bit value
	if d > m && negative {
		d &= m
	}
	// Otherwise the zero-extended argument is compared with d as it is.
	return profile.Cond{Op: c.Op, Value: d}.Match(x)
}

func TestComplement(t *testing.T) {
	m := lowMask(32)
	cubes := complement(cube{0, 0}, []uint64{0x5412, 0x541c}, m)
	for _, x := range []uint64{0, 0x5411, 0x5413, 0x541b, 0x541d, 0x5401, 0xffffffff, 0x15412} {
		n := 0
		for _, cb := range cubes {
			if cb.has(x) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%#x is in %d cubes, want 1", x, n)
		}
	}
	for _, x := range []uint64{0x5412, 0x541c} {
		for _, cb := range cubes {
			if cb.has(x) {
				t.Errorf("%#x is in cube %#x/%#x", x, cb.mask, cb.value)
			}
		}
	}
	if len(cubes) > 40 {
		t.Errorf("%d cubes for two points, want at most 40", len(cubes))
	}
}
