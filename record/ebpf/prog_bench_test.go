//go:build linux && amd64

package ebpf

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	cebpf "github.com/cilium/ebpf"
)

// BenchmarkSysEnter measures what the sys_enter program costs one system
// call (getppid, in a loop of this process), side by side: without the
// programs ("bare"), with them attached but the caller not recorded
// ("host": every other process of the machine), and recorded ("tree",
// and "args" with Options.Args). The four alternate in short rounds, so
// that the load of the machine weighs on each alike. It reports ns per
// call of each, their ratios to bare, and the program's own run time per
// call (the kernel's BPF statistics, in rounds of their own):
//
//	go test -run - -bench SysEnter ./record/ebpf
func BenchmarkSysEnter(b *testing.B) {
	needEngine(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const calls = 20000
	loop := func(calls int) time.Duration {
		t0 := time.Now()
		for range calls {
			syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		}
		return time.Since(t0)
	}
	type run struct {
		name string
		cfg  *config
		in   bool
		e    *engine
	}
	runs := []*run{{"bare", nil, false, nil}, {"host", &config{}, false, nil}, {"tree", &config{}, true, nil}, {"args", &config{args: true}, true, nil}}
	for _, r := range runs {
		if r.cfg == nil {
			continue
		}
		e, err := load(*r.cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer e.close()
		if r.in {
			e.enter(uint32(os.Getpid()))
		}
		r.e = e
	}
	// with runs f with r's programs attached.
	with := func(r *run, f func()) {
		if r.e == nil {
			f()
			return
		}
		if err := r.e.attach(); err != nil {
			b.Fatal(err)
		}
		f()
		r.e.detach()
	}
	total := make([]time.Duration, len(runs))
	var progNs, progRuns [4]uint64
	b.ResetTimer()
	for range b.N {
		for range 10 {
			for i, r := range runs {
				with(r, func() { total[i] += loop(calls) })
			}
		}
		stats, err := cebpf.EnableStats(0) // BPF_STATS_RUN_TIME
		if err != nil {
			b.Fatalf("enable BPF statistics: %v", err)
		}
		for i, r := range runs[1:] {
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
		b.ReportMetric(float64(total[i].Nanoseconds())/float64(b.N*10*calls), "ns-"+r.name)
		if i > 0 {
			b.ReportMetric(float64(total[i])/float64(total[0]), r.name+"/bare")
			if progRuns[i] > 0 {
				b.ReportMetric(float64(progNs[i])/float64(progRuns[i]), "prog-ns-"+r.name)
			}
		}
	}
}
