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
// in each iteration, and reports both and their ratio.
func BenchmarkBrokerOpen(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	run := func(brokered bool) float64 {
		cmd := launch.Command(allowAll(), os.Args[0])
		cmd.Env = []string{testenv.Env("opens"), "OPEN_FILE=" + file, "OPEN_N=" + strconv.Itoa(b.N)}
		if brokered {
			cmd.AllowOpen = []launch.OpenRule{{Path: dir}, {Path: "/proc/self"}, {Path: "/sys/kernel/mm/transparent_hugepage"}}
		}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v\n%s%s", err, out.String(), errb.String())
		}
		ns, err := strconv.ParseFloat(strings.TrimSpace(out.String()), 64)
		if err != nil {
			b.Fatalf("output %q", out.String())
		}
		return ns
	}
	plain, brokered := run(false), run(true)
	b.ReportMetric(plain, "ns/plain-open")
	b.ReportMetric(brokered, "ns/brokered-open")
	b.ReportMetric(brokered/plain, "brokered/plain")
	b.ReportMetric(0, "ns/op")
}
