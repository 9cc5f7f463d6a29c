package seccomp_test

import (
	"bufio"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// syscallMix reads testdata/syscall-mix-x86_64.txt: system calls of x86_64
// with their relative frequency.
func syscallMix(tb testing.TB) (names []string, counts []float64) {
	tb.Helper()
	f, err := os.Open("testdata/syscall-mix-x86_64.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fs := strings.Fields(line)
		if len(fs) != 2 {
			continue
		}
		c, err := strconv.ParseFloat(fs[1], 64)
		if err != nil {
			tb.Fatalf("syscall mix: %q: %v", line, err)
		}
		names = append(names, fs[0])
		counts = append(counts, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return names, counts
}

func BenchmarkCompileDockerDefault(b *testing.B) {
	p := proftest.DockerDefault(arch.X86_64)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(f.Program)
	}
	b.ReportMetric(float64(n), "insns")
}

// BenchmarkEvalDockerDefault runs the compiled Docker default filter over
// the realistic x86_64 mix, each system call as often as its frequency
// says (to one part in 1000). "Eval" goes through Filter.Eval, the public
// API; "VM" runs a loaded VM on marshalled data, the BPF execution alone.
// Both report the mean instructions executed per call.
func BenchmarkEvalDockerDefault(b *testing.B) {
	p := proftest.DockerDefault(arch.X86_64)
	f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		b.Fatal(err)
	}
	names, counts := syscallMix(b)
	total := 0.0
	for _, c := range counts {
		total += c
	}
	var calls []seccomp.Data
	for i, n := range names {
		nr, ok := arch.X86_64.SyscallNumber(n)
		if !ok {
			continue
		}
		k := int(1000*counts[i]/total + 0.5)
		if k == 0 {
			k = 1
		}
		for j := 0; j < k; j++ {
			calls = append(calls, seccomp.DataFor(arch.X86_64, nr))
		}
	}
	b.Run("Eval", func(b *testing.B) {
		executed, i := 0, 0
		for b.Loop() {
			_, ex, err := f.Eval(arch.X86_64, calls[i%len(calls)])
			if err != nil {
				b.Fatal(err)
			}
			executed += ex
			i++
		}
		b.ReportMetric(float64(executed)/float64(i), "insns/call")
	})
	b.Run("VM", func(b *testing.B) {
		order := arch.X86_64.ByteOrder()
		raw := make([][]byte, len(calls))
		for i, d := range calls {
			raw[i] = d.Marshal(order)
		}
		vm := bpf.NewVM(order)
		if err := vm.Load(f.Program); err != nil {
			b.Fatal(err)
		}
		executed, i := 0, 0
		for b.Loop() {
			_, ex, err := vm.Exec(raw[i%len(raw)])
			if err != nil {
				b.Fatal(err)
			}
			executed += ex
			i++
		}
		b.ReportMetric(float64(executed)/float64(i), "insns/call")
	})
}

// BenchmarkCompileHostile compiles 80 personality rules of six 64-bit NE
// conditions each (rules whose paths through libseccomp's rule tree are
// exponentially many); BenchmarkLibseccompHostile (build tag libseccomp)
// builds the same profile with libseccomp.
func BenchmarkCompileHostile(b *testing.B) {
	p := hostileBenchProfile()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{NoENOSYS: true})
		if err != nil {
			b.Fatal(err)
		}
		n = len(f.Program)
	}
	b.ReportMetric(float64(n), "insns")
}

func hostileBenchProfile() *profile.Profile {
	p := proftest.Hostile(rand.New(rand.NewPCG(80, 6)), 80, []profile.Op{profile.OpNE}, true, false)
	p.Arches = []arch.Arch{arch.X86_64}
	return p
}
