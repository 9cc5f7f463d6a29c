package inspect_test

import (
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/seccomp"
)

// BenchmarkCompare measures verify's work: docker-default's filter
// against the same profile compiled without optimization, over every ABI.
func BenchmarkCompare(b *testing.B) {
	host := arch.X86_64
	p := proftest.DockerDefault(host)
	x := compile(b, p, host, seccomp.Options{})
	y := compile(b, p, host, seccomp.Options{NoOptimize: true})
	var st inspect.Stats
	for i := 0; i < b.N; i++ {
		ds, s, err := inspect.Compare(x, y, inspect.CompareOptions{})
		if err != nil || len(ds) != 0 {
			b.Fatal(err, len(ds))
		}
		st = s
	}
	b.ReportMetric(float64(st.Inputs), "inputs")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(st.Inputs), "ns/input")
}
