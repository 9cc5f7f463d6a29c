package testenv

import (
	"io"
	"runtime"
)

// Repeat is a reader of N copies of Line that, at its end, measures the
// live heap (Live): what its reader still holds of a long input, for
// tests that memory stays bounded.
type Repeat struct {
	Line string
	N    int
	Live uint64
	off  int
}

func (r *Repeat) Read(p []byte) (int, error) {
	if r.N == 0 {
		if r.Live == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			r.Live = ms.HeapAlloc
		}
		return 0, io.EOF
	}
	k := copy(p, r.Line[r.off:])
	if r.off += k; r.off == len(r.Line) {
		r.off, r.N = 0, r.N-1
	}
	return k, nil
}
