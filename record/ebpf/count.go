package ebpf

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
)

// ErrClosed is the error of a Counter's Snapshot after Close.
var ErrClosed = errors.New("counter closed")

// WatchOptions are the options of Counter.Watch.
type WatchOptions struct {
	// Interval is the time between snapshots (default one second).
	Interval time.Duration
	// Count, when not 0, ends the watch with the Count-th snapshot.
	Count int
}

// A Syscall is a system call as the engine tells them apart: a number of
// an ABI, or a sub-call of i386's socketcall or ipc.
type Syscall struct {
	// Arch is the ABI: arch.X86_64, arch.X86 (i386) or arch.X32.
	Arch arch.Arch
	// Nr is the call's number in Arch's table (an x32 one with
	// __X32_SYSCALL_BIT), the multiplexer's for a sub-call, the first
	// number not counted apart (1024) when Beyond.
	Nr uint32
	// Name is the name Arch's table gives Nr, the sub-call's for a
	// sub-call (the multiplexer's when Call selects none), "" when the
	// table has no such number.
	Name string
	// Multiplexer is "socketcall" or "ipc" for a sub-call, which Call
	// (the first argument, without ipc's version) selects.
	Multiplexer string
	Call        uint32
	// Beyond: a number above 1023, the last the engine counts apart;
	// all of them of an ABI count together.
	Beyond bool
}

// A Count is how many times a system call was made.
type Count struct {
	Syscall
	N uint64
}

// A Snapshot is what a Counter counted from Start until Time.
type Snapshot struct {
	Start, Time time.Time
	// Calls are the system calls made at least once, in the order of
	// the engine's map: by ABI (x86_64, i386, x32) and number, then
	// i386's socketcall and ipc sub-calls.
	Calls []Count
	// Lost are the engine's loss counters, each (zero or not); any loss
	// makes the snapshot Partial, Reason saying what is lost.
	Lost    []record.Loss
	Partial bool
	Reason  string
	// Ended reports that the counted tasks had all ended (the final
	// snapshot of a Counter whose Done is closed).
	Ended bool
}

// Total returns the number of calls counted.
func (s *Snapshot) Total() uint64 {
	var n uint64
	for _, c := range s.Calls {
		n += c.N
	}
	return n
}

// A Row is a system call of a snapshot with its count, and the calls
// made since an earlier snapshot.
type Row struct {
	Syscall
	Total uint64
	// Delta is the number of calls since the earlier snapshot, Rate
	// that per second.
	Delta uint64
	Rate  float64
}

// Top returns the calls of s, each with the calls made since prev (nil:
// since the counter started), busiest first: by Delta, then by Total,
// then in the order of s.Calls.
func (s *Snapshot) Top(prev *Snapshot) []Row {
	since := s.Start
	before := map[Syscall]uint64{}
	if prev != nil {
		since = prev.Time
		for _, c := range prev.Calls {
			before[c.Syscall] = c.N
		}
	}
	secs := s.Time.Sub(since).Seconds()
	rows := make([]Row, 0, len(s.Calls))
	for _, c := range s.Calls {
		r := Row{Syscall: c.Syscall, Total: c.N}
		if b := before[c.Syscall]; b < c.N {
			r.Delta = c.N - b
		}
		if secs > 0 {
			r.Rate = float64(r.Delta) / secs
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if c := cmp.Compare(b.Delta, a.Delta); c != 0 {
			return c
		}
		return cmp.Compare(b.Total, a.Total)
	})
	return rows
}
