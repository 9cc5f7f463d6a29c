package record

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/testenv"
)

var benchReads = flag.Int("record.reads", 100000, "one-byte reads of /dev/zero per run in BenchmarkRecordSlowdown")

// BenchmarkRecordSlowdown runs a syscall-heavy workload (one-byte reads
// of /dev/zero, -record.reads of them) five ways in each iteration —
// unrecorded, under the recorder (through the seccomp listener, and with
// a ptrace stop per call), under the recorder given the profile of an
// earlier short run of the workload (Options.Known: known calls cost
// nothing), under strace -f writing to /dev/null — and reports each run's
// time per read and the slowdowns against the unrecorded run, measured
// side by side in one run:
//
//	go test -run - -bench RecordSlowdown -benchtime 3x ./record -record.reads 1000000
func BenchmarkRecordSlowdown(b *testing.B) {
	strace := testenv.Tool(b, "strace", "strace")
	n := *benchReads
	arg := strconv.Itoa(n)
	env := workloadEnviron("reads")
	o := helperOpts(b)
	o.Env = env
	first, err := Run(context.Background(), []string{self(b), "10"}, o)
	if err != nil {
		b.Fatal(err)
	}
	ko := o
	ko.Known = first.Recording.Profile(ProfileOptions{})
	so := o
	so.Stops = true
	var bare, rec, stops, known, st time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		cmd := exec.Command(self(b), arg)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("workload: %v\n%s", err, out)
		}
		t1 := time.Now()
		res, err := Run(context.Background(), []string{self(b), arg}, o)
		if err != nil || res.ExitCode != 0 || !res.Listener {
			b.Fatalf("recorded workload (listener): %v %+v", err, res)
		}
		t2s := time.Now()
		res, err = Run(context.Background(), []string{self(b), arg}, so)
		if err != nil || res.ExitCode != 0 || res.Listener {
			b.Fatalf("recorded workload with stops: %v %+v", err, res)
		}
		t2 := time.Now()
		res, err = Run(context.Background(), []string{self(b), arg}, ko)
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("recorded workload with a known profile: %v %+v", err, res)
		}
		if res.Recording.Has(first.Recording.Native, "read") {
			b.Fatal("read is known but was recorded again")
		}
		t2k := time.Now()
		cmd = exec.Command(strace, "-f", "-o", os.DevNull, self(b), arg)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("strace: %v\n%s", err, out)
		}
		t3 := time.Now()
		bare += t1.Sub(t0)
		rec += t2s.Sub(t1)
		stops += t2.Sub(t2s)
		known += t2k.Sub(t2)
		st += t3.Sub(t2k)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / float64(n) }
	b.ReportMetric(per(bare), "ns/read-bare")
	b.ReportMetric(per(rec), "ns/read-record")
	b.ReportMetric(per(stops), "ns/read-stops")
	b.ReportMetric(per(known), "ns/read-known")
	b.ReportMetric(per(st), "ns/read-strace")
	b.ReportMetric(float64(rec)/float64(bare), "record/bare")
	b.ReportMetric(float64(stops)/float64(bare), "stops/bare")
	b.ReportMetric(float64(known)/float64(bare), "known/bare")
	b.ReportMetric(float64(st)/float64(bare), "strace/bare")
	b.ReportMetric(float64(rec)/float64(st), "record/strace")
	b.ReportMetric(float64(stops)/float64(st), "stops/strace")
}
