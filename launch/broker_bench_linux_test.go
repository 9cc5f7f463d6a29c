package launch_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
)

func init() { testenv.Program("opens", targetOpens) }

// targetOpens opens and closes $OPEN_FILE $OPEN_N times and prints the
// nanoseconds per open.
func targetOpens() {
	name := os.Getenv("OPEN_FILE")
	n, _ := strconv.Atoi(os.Getenv("OPEN_N"))
	start := time.Now()
	for range n {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		syscall.Close(fd)
	}
	fmt.Println(time.Since(start).Nanoseconds() / int64(max(n, 1)))
}

// BenchmarkBrokerOpen measures an open(2) of a file in the allowed tree,
// plain (under an allow-all filter) and through the broker, side by side
// in each iteration, and reports both and their ratio: in wall-clock
// time per open, as the program sees it, and in CPU time per open (the
// program's, plus the launcher's for the brokered opens), which load on
// the machine disturbs much less.
func BenchmarkBrokerOpen(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	run1 := func(brokered bool, n int) (wall, programCPU, launcherCPU float64) {
		cmd := launch.Command(allowAll(), os.Args[0])
		cmd.Env = []string{testenv.Env("opens"), "OPEN_FILE=" + file, "OPEN_N=" + strconv.Itoa(n)}
		if brokered {
			cmd.AllowOpen = []launch.OpenRule{{Path: dir}, {Path: "/proc/self"}, {Path: "/sys/kernel/mm/transparent_hugepage"}}
		}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		c0 := cpu()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v\n%s%s", err, out.String(), errb.String())
		}
		c1 := cpu()
		ns, err := strconv.ParseFloat(strings.TrimSpace(out.String()), 64)
		if err != nil {
			b.Fatalf("output %q", out.String())
		}
		r := cmd.Report()
		return ns, (r.UserSeconds + r.SystemSeconds) * 1e9, float64(c1 - c0)
	}
	// CPU time per open: beyond that of a run that opens nothing (the
	// program's start, the launch).
	run := func(brokered bool) (wall, programCPU, launcherCPU float64) {
		_, p0, l0 := run1(brokered, 0)
		wall, p1, l1 := run1(brokered, b.N)
		n := float64(b.N)
		return wall, max(p1-p0, 0) / n, max(l1-l0, 0) / n
	}
	plain, plainCPU, plainLauncher := run(false)
	brokered, brokeredCPU, brokeredLauncher := run(true)
	// The launcher's own work for each open: the broker's.
	plainCPU += plainLauncher
	brokeredCPU += brokeredLauncher
	b.ReportMetric(plain, "ns/plain-open")
	b.ReportMetric(brokered, "ns/brokered-open")
	b.ReportMetric(brokered/plain, "brokered/plain")
	b.ReportMetric(plainCPU, "cpu-ns/plain-open")
	b.ReportMetric(brokeredCPU, "cpu-ns/brokered-open")
	b.ReportMetric(brokeredCPU/plainCPU, "cpu-brokered/plain")
	b.ReportMetric(0, "ns/op")
}
