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

// Xs returns a reader of n bytes 'x': one line as long as a test needs
// (a line over a reader's bound), made on the fly.
func Xs(n int64) io.Reader { return io.LimitReader(xs{}, n) }

type xs struct{}

func (xs) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// Allocated returns the bytes f allocates on the heap, live or not: for
// tests that reading a long input costs a bounded amount of memory.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
