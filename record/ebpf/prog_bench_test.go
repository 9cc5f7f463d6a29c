//go:build linux && amd64

package ebpf

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	cebpf "github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// BenchmarkSysEnter measures what the sys_enter program costs one system
// call (getppid, in a loop of this process; and dd bs=1's pair of a
// one-byte read of /dev/zero and a write to /dev/null), side by side: without the
// programs ("bare"), with them attached but the caller not recorded
// ("host": every other process of the machine), recorded ("tree", and
// "args" with Options.Args), and with a program that does nothing on
// the raw tracepoint ("empty": what any sys_enter tracepoint costs).
// Where the engine uses fentry, "host-tp" and "tree-tp" are it on the
// raw tracepoint. They alternate in short rounds, so
// that the load of the machine weighs on each alike. It reports ns per
// call of each, their ratios to bare (of the sums, and "best-" of the
// fastest round of each), and the program's own run time per
// call (the kernel's BPF statistics, in rounds of their own):
//
//	go test -run - -bench SysEnter ./record/ebpf
func BenchmarkSysEnter(b *testing.B) {
	needEngine(b)
	b.Run("getppid", func(b *testing.B) {
		benchSysEnter(b, func(calls int) time.Duration {
			t0 := time.Now()
			for range calls {
				syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
			}
			return time.Since(t0)
		})
	})
	// dd bs=1's calls: a one-byte read of /dev/zero and its write to
	// /dev/null, a pair per call counted.
	b.Run("dd", func(b *testing.B) {
		zero, err := os.Open("/dev/zero")
		if err != nil {
			b.Fatal(err)
		}
		defer zero.Close()
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer null.Close()
		var buf [1]byte
		p := uintptr(unsafe.Pointer(&buf[0]))
		benchSysEnter(b, func(calls int) time.Duration {
			t0 := time.Now()
			for range calls {
				syscall.RawSyscall(syscall.SYS_READ, zero.Fd(), p, 1)
				syscall.RawSyscall(syscall.SYS_WRITE, null.Fd(), p, 1)
			}
			return time.Since(t0)
		})
	})
}

// benchSysEnter is BenchmarkSysEnter with loop, which makes calls calls.
func benchSysEnter(b *testing.B, loop func(calls int) time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const calls, rounds = 2000, 100
	type run struct {
		name string
		cfg  *config
		in   bool
		tp   bool // on the raw tracepoint where the engine uses fentry
		e    *engine
	}
	runs := []*run{{"bare", nil, false, false, nil}, {"host", &config{}, false, false, nil}, {"tree", &config{}, true, false, nil}, {"args", &config{args: true}, true, false, nil}}
	if _, err := fentryTargets(); err == nil {
		runs = append(runs, &run{"host-tp", &config{}, false, true, nil}, &run{"tree-tp", &config{}, true, true, nil})
	} else {
		b.Logf("no fentry here (%v): the engine's runs are on the raw tracepoint", err)
	}
	for _, r := range runs {
		if r.cfg == nil {
			continue
		}
		var e *engine
		var err error
		if r.tp {
			withTracepoint(func() { e, err = load(*r.cfg) })
		} else {
			e, err = load(*r.cfg)
		}
		if err != nil {
			b.Fatal(err)
		}
		defer e.close()
		if r.in {
			e.enter(uint32(os.Getpid()))
		}
		r.e = e
	}
	// empty: a program that does nothing on the raw tracepoint, what
	// any sys_enter tracepoint costs.
	empty, err := cebpf.NewProgram(&cebpf.ProgramSpec{
		Type:         cebpf.RawTracepoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer empty.Close()
	runs = append(runs, &run{name: "empty"})
	// with runs f with r's programs attached.
	with := func(r *run, f func()) {
		switch {
		case r.name == "empty":
			l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sys_enter", Program: empty})
			if err != nil {
				b.Fatal(err)
			}
			f()
			l.Close()
			return
		case r.e == nil:
			f()
			return
		}
		if err := r.e.attach(); err != nil {
			b.Fatal(err)
		}
		f()
		r.e.detach()
	}
	total, best := make([]time.Duration, len(runs)), make([]time.Duration, len(runs))
	progNs, progRuns := make([]uint64, len(runs)), make([]uint64, len(runs))
	b.ResetTimer()
	for range b.N {
		for range rounds {
			for i, r := range runs {
				with(r, func() {
					d := loop(calls)
					total[i] += d
					if best[i] == 0 || d < best[i] {
						best[i] = d
					}
				})
			}
		}
		stats, err := cebpf.EnableStats(0) // BPF_STATS_RUN_TIME
		if err != nil {
			b.Fatalf("enable BPF statistics: %v", err)
		}
		for i, r := range runs[1:] {
			if r.e == nil {
				continue
			}
			with(r, func() {
				before, _ := r.e.progs[0].Stats()
				loop(calls)
				after, _ := r.e.progs[0].Stats()
				progNs[i+1] += uint64(after.Runtime - before.Runtime)
				progRuns[i+1] += after.RunCount - before.RunCount
			})
		}
		stats.Close()
	}
	for i, r := range runs {
		b.ReportMetric(float64(total[i].Nanoseconds())/float64(b.N*rounds*calls), "ns-"+r.name)
		if i > 0 {
			b.ReportMetric(float64(total[i])/float64(total[0]), r.name+"/bare")
			b.ReportMetric(float64(best[i])/float64(best[0]), "best-"+r.name+"/bare")
			if progRuns[i] > 0 {
				b.ReportMetric(float64(progNs[i])/float64(progRuns[i]), "prog-ns-"+r.name)
			}
		}
	}
}
