package profile

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/syscage/syscage/arch"
)

// This file decides questions about all argument values exactly, not by
// sampling: the set of values of one argument that a comparison accepts
// is a union of disjoint cubes (values whose bits under a mask are
// fixed), every comparison's set is exact in that form, and the
// conditions of a group of entries split each argument's values into
// classes that no condition tells apart. One value per class, taken in
// every combination, decides every question about the entries.

// ErrUndecided reports a question about a profile's argument conditions
// that would take too much work to answer exactly.
var ErrUndecided = errors.New("cannot decide exactly: too many argument combinations")

// cube is the set of values v with v & mask == val (val has no bits
// outside mask).
type cube struct{ mask, val uint64 }

// cubeSet is a union of disjoint cubes.
type cubeSet []cube

// interval is the closed range lo..hi of argument values.
type interval struct{ lo, hi uint64 }

func (c cube) and(d cube) (cube, bool) {
	if (c.val^d.val)&c.mask&d.mask != 0 {
		return cube{}, false
	}
	return cube{c.mask | d.mask, c.val | d.val}, true
}

// minus returns c without the values of d, as disjoint cubes.
func (c cube) minus(d cube) cubeSet {
	if (c.val^d.val)&c.mask&d.mask != 0 {
		return cubeSet{c}
	}
	var out cubeSet
	cur := c
	for free := d.mask &^ c.mask; free != 0; {
		b := uint64(1) << (63 - bits.LeadingZeros64(free))
		free &^= b
		out = append(out, cube{cur.mask | b, cur.val | (^d.val & b)})
		cur = cube{cur.mask | b, cur.val | (d.val & b)}
	}
	return out
}

func (s cubeSet) and(t cubeSet) cubeSet {
	if len(s) == 1 && s[0].mask == 0 {
		return t
	}
	if len(t) == 1 && t[0].mask == 0 {
		return s
	}
	var out cubeSet
	for _, c := range s {
		for _, d := range t {
			if x, ok := c.and(d); ok {
				out = append(out, x)
			}
		}
	}
	return out
}

func (s cubeSet) minus(t cubeSet) cubeSet {
	out := s
	for _, d := range t {
		var next cubeSet
		for _, c := range out {
			next = append(next, c.minus(d)...)
		}
		out = next
	}
	return out
}

// span returns the values lo..hi as aligned blocks.
func span(lo, hi uint64) cubeSet {
	if lo == 0 && hi == ^uint64(0) {
		return cubeSet{{}}
	}
	var out cubeSet
	for lo <= hi {
		// The largest aligned block at lo that ends by hi.
		k := bits.TrailingZeros64(lo) // 64 for 0
		for k >= 64 || (uint64(1)<<k)-1 > hi-lo {
			k--
		}
		size := uint64(1) << k
		out = append(out, cube{mask: ^(size - 1), val: lo})
		if lo+size-1 == hi {
			break
		}
		lo += size
	}
	return out
}

// condCubes returns the values for which c holds, all 64 bits compared.
func condCubes(c Cond) cubeSet {
	const all = ^uint64(0)
	v := c.Value
	switch c.Op {
	case OpEQ:
		return cubeSet{{all, v}}
	case OpNE:
		return cubeSet{{}}.minus(cubeSet{{all, v}})
	case OpLT:
		if v == 0 {
			return nil
		}
		return span(0, v-1)
	case OpLE:
		return span(0, v)
	case OpGT:
		if v == all {
			return nil
		}
		return span(v+1, all)
	case OpGE:
		return span(v, all)
	case OpMaskedEQ:
		return cubeSet{{v, c.ValueTwo & v}}
	}
	return nil
}

// notCubes returns the values for which c does not hold.
func notCubes(c Cond) cubeSet {
	switch c.Op {
	case OpEQ:
		c.Op = OpNE
	case OpNE:
		c.Op = OpEQ
	case OpLT:
		c.Op = OpGE
	case OpGE:
		c.Op = OpLT
	case OpLE:
		c.Op = OpGT
	case OpGT:
		c.Op = OpLE
	default:
		return cubeSet{{}}.minus(condCubes(c))
	}
	return condCubes(c)
}

// domain is the set of values an argument takes on ABI a: all 64 bits,
// or the low 32 (the high word is never compared there).
func domain(a arch.Arch) cubeSet {
	if a.Bits() == 32 {
		return cubeSet{{mask: 0xffffffff00000000}}
	}
	return cubeSet{{}}
}

// argClass is a class of values of one argument that no condition of
// the entries it was made for tells apart.
type argClass struct {
	rep uint64  // one of its values
	set cubeSet // all of them
}

// maxCubes bounds the work of splitting one argument's values.
const maxCubes = 1 << 14

// classes splits the values of each argument on ABI a by the conditions
// of the entries' rules. An argument that no condition tests has one
// class, all its values.
func classes(a arch.Arch, entries ...Entry) ([MaxArg + 1][]argClass, error) {
	var preds [MaxArg + 1][]Cond
	for _, e := range entries {
		for _, r := range e.Rules {
			for _, c := range r.Conds {
				if a.Bits() == 32 {
					c = c.Low32()
				}
				if !slices.Contains(preds[c.Arg], c) {
					preds[c.Arg] = append(preds[c.Arg], c)
				}
			}
		}
	}
	var out [MaxArg + 1][]argClass
	dom := domain(a)
	for k := range out {
		cells := []cubeSet{dom}
		for _, c := range preds[k] {
			in, not := condCubes(c), notCubes(c)
			var next []cubeSet
			n := 0
			for _, cell := range cells {
				yes, no := cell.and(in), cell.and(not)
				for _, part := range []cubeSet{yes, no} {
					if len(part) > 0 {
						next = append(next, part)
						n += len(part)
					}
				}
				if n > maxCubes {
					return out, fmt.Errorf("argument %d: %w", k, ErrUndecided)
				}
			}
			cells = next
		}
		for _, cell := range cells {
			out[k] = append(out[k], argClass{rep: cell[0].val, set: cell})
		}
	}
	return out, nil
}

// maxCombos bounds the argument combinations tried for one system call.
const maxCombos = 1 << 16

// combos calls f with one argument vector per combination of classes,
// and with the indices of the classes it took; f returns false to stop.
// It returns ErrUndecided when there are more than maxCombos.
func combos(cls [MaxArg + 1][]argClass, f func(args [6]uint64, idx [6]int) bool) error {
	n := 1
	for _, c := range cls {
		n *= len(c)
		if n > maxCombos {
			return fmt.Errorf("%d or more combinations: %w", n, ErrUndecided)
		}
	}
	var args [6]uint64
	var idx [6]int
	var walk func(k int) bool
	walk = func(k int) bool {
		if k == len(cls) {
			return f(args, idx)
		}
		for i, c := range cls[k] {
			args[k], idx[k] = c.rep, i
			if !walk(k + 1) {
				return false
			}
		}
		return true
	}
	walk(0)
	return nil
}
