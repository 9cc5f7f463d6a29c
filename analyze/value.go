package analyze

import "slices"

// maxConsts bounds the constants a value can be before it is unknown.
const maxConsts = 32

// value is what the analysis knows of a register or stack slot at a
// point of a function: nothing (top), the function's own argument in a
// register (arg, at entry), or one of a few constants.
type value struct {
	top    bool
	arg    int8     // 0, or 1 + the register the function got it in
	consts []uint64 // sorted, distinct
}

var unknown = value{top: true}

func constant(c uint64) value { return value{consts: []uint64{c}} }

func argOf(r int) value { return value{arg: int8(r + 1)} }

// empty reports the bottom value: no path reaches the point yet.
func (v value) empty() bool { return !v.top && v.arg == 0 && len(v.consts) == 0 }

func (v value) equal(w value) bool {
	return v.top == w.top && v.arg == w.arg && slices.Equal(v.consts, w.consts)
}

// join is the value at a point two paths reach.
func join(v, w value) value {
	switch {
	case v.empty():
		return w
	case w.empty():
		return v
	case v.top || w.top:
		return unknown
	case v.arg != 0 || w.arg != 0:
		if v.arg == w.arg && len(v.consts) == 0 && len(w.consts) == 0 {
			return v
		}
		return unknown
	}
	out := slices.Clone(v.consts)
	for _, c := range w.consts {
		if i, ok := slices.BinarySearch(out, c); !ok {
			out = slices.Insert(out, i, c)
		}
	}
	if len(out) > maxConsts {
		return unknown
	}
	return value{consts: out}
}

// truncate32 is the value after a 32-bit write of v (the upper half is
// cleared).
func (v value) truncate32() value {
	if v.top || v.arg != 0 || len(v.consts) == 0 {
		return v
	}
	out := make([]uint64, 0, len(v.consts))
	for _, c := range v.consts {
		c &= 0xffffffff
		if i, ok := slices.BinarySearch(out, c); !ok {
			out = slices.Insert(out, i, c)
		}
	}
	return value{consts: out}
}
