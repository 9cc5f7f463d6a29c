//go:build linux && amd64

package ebpf

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

var benchCount = flag.Int("ebpf.count", 200000, "bytes each workload of BenchmarkEngines reads one at a time per run")

// pyReads reads argv[1] bytes of /dev/zero one at a time and reports the
// time of its loop as dd does.
const pyReads = `import os, sys, time
n = int(sys.argv[1])
f = os.open("/dev/zero", os.O_RDONLY)
t = time.perf_counter()
for _ in range(n):
    os.read(f, 1)
sys.stderr.write(", %f s, \n" % (time.perf_counter() - t))
`

// ddTime matches the time dd reports for its copy loop ("..., 0.25 s, ...").
var ddTime = regexp.MustCompile(`, ([0-9.e-]+) s, `)

// BenchmarkEngines runs a workload of one-byte system calls, dd bs=1
// (a read and a write per byte) and a Python loop of os.read(fd, 1) of
// /dev/zero, five ways in each iteration, side by side: unrecorded, under the eBPF engine, under
// the ptrace engine (its seccomp listener), under strace -f, and
// unrecorded while the eBPF engine records another program ("host": what
// the attached programs cost every other process). Where the engine
// uses fentry (see Hook), two more: under the eBPF engine on the raw
// tracepoint ("ebpf-tp") and unrecorded beside it ("host-tp"). It
// reports the time of the copy loop as dd measures it (the recorder's
// setup excluded) and the wall time of the whole run, per run, and their
// ratios to the unrecorded run, of the sums over the iterations and
// ("best-") of the fastest iteration of each (the machine's other load
// slows some runs, never speeds one up):
//
//	go test -run - -bench Engines -benchtime 3x ./record/ebpf
func BenchmarkEngines(b *testing.B) {
	needEngine(b)
	b.Run("dd", func(b *testing.B) {
		dd := testenv.Tool(b, "dd", "coreutils")
		benchEngines(b, []string{dd, "if=/dev/zero", "of=/dev/null", "bs=1", "count=" + strconv.Itoa(*benchCount)})
	})
	b.Run("python", func(b *testing.B) {
		py := testenv.Tool(b, "python3", "python3")
		benchEngines(b, []string{py, "-c", pyReads, strconv.Itoa(*benchCount)})
	})
}

func benchEngines(b *testing.B, argv []string) {
	strace := testenv.Tool(b, "strace", "strace")
	names := []string{"bare", "ebpf", "ptrace", "strace", "host"}
	_, fentry := fentryTargets()
	if fentry == nil {
		names = append(names, "ebpf-tp", "host-tp")
	} else {
		b.Logf("no fentry here (%v): ebpf and host are on the raw tracepoint", fentry)
	}
	wall, loop := make([]time.Duration, len(names)), make([]time.Duration, len(names))
	best := make([]time.Duration, len(names))
	run := func(i int, f func(stderr *os.File) error) {
		errf, err := os.CreateTemp(b.TempDir(), "stderr")
		if err != nil {
			b.Fatal(err)
		}
		defer errf.Close()
		t0 := time.Now()
		if err := f(errf); err != nil {
			b.Fatal(err)
		}
		wall[i] += time.Since(t0)
		out, _ := os.ReadFile(errf.Name())
		m := ddTime.FindSubmatch(out)
		if m == nil {
			b.Fatalf("no time in the output %q", out)
		}
		s, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			b.Fatal(err)
		}
		d := time.Duration(s * float64(time.Second))
		loop[i] += d
		if best[i] == 0 || d < best[i] {
			best[i] = d
		}
	}
	engine := func(rec func(context.Context, []string, record.Options) (*record.Result, error)) func(*os.File) error {
		return func(stderr *os.File) error {
			res, err := rec(context.Background(), argv, record.Options{Stderr: stderr})
			if err == nil && !res.Recording.Has(res.Recording.Native, "read") {
				b.Fatalf("read not recorded: %v", res.Recording.Calls())
			}
			return err
		}
	}
	command := func(args ...string) func(*os.File) error {
		return func(stderr *os.File) error {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Stderr = stderr
			var out bytes.Buffer
			cmd.Stdout = &out
			return cmd.Run()
		}
	}
	// host: dd unrecorded while the eBPF engine records another program.
	host := func(stderr *os.File) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		defer r.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := Run(ctx, []string{"sh", "-c", "echo ready; exec sleep 1000"}, record.Options{Stdout: w})
			done <- err
		}()
		buf := make([]byte, 6)
		_, err = r.Read(buf)
		w.Close()
		if err == nil {
			err = command(argv...)(stderr)
		}
		cancel()
		if rerr := <-done; err == nil {
			err = rerr
		}
		return err
	}
	b.ResetTimer()
	for range b.N {
		run(0, command(argv...))
		run(1, engine(Run))
		run(2, engine(record.Run))
		run(3, command(append([]string{strace, "-f", "-o", os.DevNull}, argv...)...))
		run(4, host)
		if len(names) > 5 {
			withTracepoint(func() {
				run(5, engine(Run))
				run(6, host)
			})
		}
	}
	for i, name := range names {
		b.ReportMetric(float64(loop[i].Milliseconds())/float64(b.N), "ms-loop-"+name)
		b.ReportMetric(float64(wall[i].Milliseconds())/float64(b.N), "ms-wall-"+name)
		if i > 0 {
			b.ReportMetric(float64(loop[i])/float64(loop[0]), "loop-"+name+"/bare")
			b.ReportMetric(float64(wall[i])/float64(wall[0]), "wall-"+name+"/bare")
			b.ReportMetric(float64(best[i])/float64(best[0]), "best-loop-"+name+"/bare")
		}
	}
}
