//go:build libseccomp && cgo && linux

// Command filtercmp compares, in one run, syscage's filter for the Docker
// default profile on x86_64 (with its x86 and x32 sub-architectures) with
// the filters libseccomp builds for it as runc does, at optimize levels 1
// and 2:
//
//   - instruction counts;
//   - BPF instructions executed per system call over a realistic mix
//     (seccomp/testdata/syscall-mix-x86_64.txt), mean and worst, over all
//     calls and over the calls the kernel's action cache cannot serve;
//   - how many system calls of x86_64, x86 and x32 the kernel's action
//     cache serves (an emulation of seccomp_cache_prepare_bitmap and
//     seccomp_is_const_allow of kernel/seccomp.c);
//   - compile time (median);
//   - real ns per system call in the kernel with each filter installed in
//     a re-executed child process (never in this process), for an allowed,
//     an argument-checked and a denied call, beside an unfiltered child.
//
// Run it from the repository root:
//
//	go run -tags libseccomp ./bench/filtercmp
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/libseccomp"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

func main() {
	if os.Getenv(childEnv) != "" {
		child()
	}
	mixFile := flag.String("mix", "seccomp/testdata/syscall-mix-x86_64.txt", "system-call mix: `file` of \"name count\" lines")
	compileRuns := flag.Int("compile-runs", 301, "compilations timed per compiler (the median is reported)")
	n := flag.Int("n", 200000, "system calls per timing round in the kernel")
	reps := flag.Int("reps", 3, "child processes per filter in the kernel timing (the median is reported)")
	noKernel := flag.Bool("nokernel", false, "skip the timing in the kernel")
	argHeavy := flag.Int("argheavy", 3, "random argument-heavy `profiles` compared after the Docker default (0: none)")
	flag.Parse()
	if err := run(os.Stdout, *mixFile, *compileRuns, *n, *reps, !*noKernel); err != nil {
		fmt.Fprintln(os.Stderr, "filtercmp:", err)
		os.Exit(1)
	}
	if err := argHeavyRun(os.Stdout, *argHeavy); err != nil {
		fmt.Fprintln(os.Stderr, "filtercmp:", err)
		os.Exit(1)
	}
}

// filter is one contender.
type filter struct {
	name string
	prog bpf.Program
}

// mixArgs are the arguments the mix's argument-checked calls get: what
// glibc's fork, Python's socket.socket() and a personality query pass.
// Every other call gets zero arguments.
var mixArgs = map[string][6]uint64{
	"clone":       {0x01200011},       // fork(): CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD
	"socket":      {2, 0x80001},       // AF_INET, SOCK_STREAM|SOCK_CLOEXEC
	"personality": {0xffffffff},       // query
	"clone3":      {0, 0x58},          // struct pointer, size
	"ioctl":       {1, 0x5401},        // TCGETS
	"fcntl":       {3, 1},             // F_GETFD
	"mmap":        {0, 4096, 3, 0x22}, // PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
}

type mixEntry struct {
	name  string
	nr    uint32
	count float64
	args  [6]uint64
}

func readMix(path string) ([]mixEntry, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var out []mixEntry
	var unknown []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		if s == "" {
			continue
		}
		fs := strings.Fields(s)
		if len(fs) != 2 {
			return nil, nil, fmt.Errorf("%s:%d: want \"name count\"", path, line)
		}
		c, err := strconv.ParseFloat(fs[1], 64)
		if err != nil || c < 0 {
			return nil, nil, fmt.Errorf("%s:%d: bad count %q", path, line, fs[1])
		}
		nr, ok := arch.X86_64.SyscallNumber(fs[0])
		if !ok {
			unknown = append(unknown, fs[0])
			continue
		}
		out = append(out, mixEntry{name: fs[0], nr: nr, count: c, args: mixArgs[fs[0]]})
	}
	return out, unknown, sc.Err()
}

// The kernel's action cache (kernel/seccomp.c, Linux 5.11 and later): for
// every number below the size of the ABI's bitmap it emulates the filter
// with only nr and arch known and caches the numbers whose every path
// returns ALLOW. On x86_64 the native bitmap has NR_syscalls bits for
// AUDIT_ARCH_X86_64 and the compat bitmap IA32_NR_syscalls bits for
// AUDIT_ARCH_I386; x32 calls carry __X32_SYSCALL_BIT in nr, beyond the
// native bitmap, so the cache never serves them.
func cacheSize(a arch.Arch) uint32 {
	switch a {
	case arch.X86_64, arch.X86:
		return a.MaxSyscall() + 1
	}
	return 0
}

func cached(prog bpf.Program, abi arch.Arch, nr uint32) bool {
	return nr < cacheSize(abi) && seccomp.ConstAllow(prog, abi.Audit(), nr)
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func run(w io.Writer, mixFile string, compileRuns, n, reps int, kernel bool) error {
	uname := kernelRelease()
	base, err := builtin.Get("docker-default")
	if err != nil {
		return err
	}
	p, err := base.Resolve(profile.Env{Arch: arch.X86_64, Caps: oci.DefaultCaps, Kernel: uname})
	if err != nil {
		return err
	}
	mix, unknown, err := readMix(mixFile)
	if err != nil {
		return err
	}
	weights := map[string]float64{}
	for _, m := range mix {
		weights[m.name] = m.count
	}

	// The contenders.
	compile := func(o seccomp.Options) (bpf.Program, error) {
		f, err := seccomp.Compile(p, arch.X86_64, o)
		if err != nil {
			return nil, err
		}
		return f.Program, nil
	}
	var fs []filter
	for _, c := range []struct {
		name string
		o    seccomp.Options
	}{
		{"syscage", seccomp.Options{}},
		{"syscage-noenosys", seccomp.Options{NoENOSYS: true}},
		{"syscage-weighted", seccomp.Options{Weights: weights}},
	} {
		prog, err := compile(c.o)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fs = append(fs, filter{c.name, prog})
	}
	for _, o := range []int{1, 2} {
		prog, err := libseccomp.Build(p, arch.X86_64, libseccomp.Options{Optimize: o})
		if err != nil {
			return fmt.Errorf("libseccomp -O%d: %w", o, err)
		}
		fs = append(fs, filter{fmt.Sprintf("libseccomp-O%d", o), prog})
	}
	const ref = "libseccomp-O2"

	major, minor, micro := libseccomp.Version()
	fmt.Fprintf(w, "Docker default profile, x86_64 host with x86 and x32, default capabilities, kernel %s\n", uname)
	fmt.Fprintf(w, "syscage %s tables; libseccomp %d.%d.%d; %s/%s, GOMAXPROCS %d\n", arch.TableRelease(), major, minor, micro, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "syscage: default options (runc's ENOSYS stub for numbers above the largest the profile names); -noenosys: NoENOSYS, libseccomp's semantics;\n")
	fmt.Fprintf(w, "-weighted: Weights from the mix. libseccomp: built as runc does, without runc's ENOSYS patch.\n")
	if len(unknown) > 0 {
		fmt.Fprintf(w, "mix: names x86_64 lacks, skipped: %s\n", strings.Join(unknown, ", "))
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, vals []float64, format string) {
		fmt.Fprintf(tw, "%s\t", label)
		var r float64
		for i, v := range vals {
			fmt.Fprintf(tw, format+"\t", v)
			if fs[i].name == ref {
				r = v
			}
		}
		if r != 0 {
			fmt.Fprintf(tw, "%.2f\t", vals[0]/r)
		} else {
			fmt.Fprintf(tw, "-\t")
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "\t")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t", f.name)
	}
	fmt.Fprintf(tw, "syscage/O2\t\n")

	// Size.
	var vals []float64
	for _, f := range fs {
		vals = append(vals, float64(len(f.prog)))
	}
	row("instructions", vals, "%.0f")

	// The realistic mix in the VM, and the action cache.
	type mixStat struct{ allMean, allMax, effMean, unMean, unMax, unShare float64 }
	var stats []mixStat
	for _, f := range fs {
		vm := bpf.NewVM(arch.X86_64.ByteOrder())
		if err := vm.Load(f.prog); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		var s mixStat
		var total, unTotal, sum, unSum float64
		for _, m := range mix {
			d := bpf.SeccompData{Nr: int32(m.nr), Arch: arch.X86_64.Audit(), Args: m.args}
			_, ex, err := vm.Exec(d.Marshal(arch.X86_64.ByteOrder()))
			if err != nil {
				return err
			}
			x := float64(ex)
			total += m.count
			sum += m.count * x
			s.allMax = max(s.allMax, x)
			if !cached(f.prog, arch.X86_64, m.nr) {
				unTotal += m.count
				unSum += m.count * x
				s.unMax = max(s.unMax, x)
			}
		}
		s.allMean = sum / total
		s.effMean = unSum / total
		if unTotal > 0 {
			s.unMean = unSum / unTotal
		}
		s.unShare = 100 * unTotal / total
		stats = append(stats, s)
	}
	pick := func(g func(mixStat) float64) []float64 {
		var out []float64
		for _, s := range stats {
			out = append(out, g(s))
		}
		return out
	}
	row("mix: mean insns, all calls", pick(func(s mixStat) float64 { return s.allMean }), "%.2f")
	row("mix: worst insns, all calls", pick(func(s mixStat) float64 { return s.allMax }), "%.0f")
	row("mix: mean insns, cached calls as 0", pick(func(s mixStat) float64 { return s.effMean }), "%.2f")
	row("mix: mean insns, uncached calls", pick(func(s mixStat) float64 { return s.unMean }), "%.2f")
	row("mix: worst insns, uncached calls", pick(func(s mixStat) float64 { return s.unMax }), "%.0f")
	row("mix: % of calls not cached", pick(func(s mixStat) float64 { return s.unShare }), "%.2f")

	for _, abi := range []arch.Arch{arch.X86_64, arch.X86, arch.X32} {
		vals = nil
		for _, f := range fs {
			c := 0
			for _, s := range abi.Syscalls() {
				if cached(f.prog, abi, s.Nr) {
					c++
				}
			}
			vals = append(vals, float64(c))
		}
		row(fmt.Sprintf("action cache serves (%s, of %d)", abi, len(abi.Syscalls())), vals, "%.0f")
	}

	// Compile time.
	vals = nil
	for _, f := range fs {
		var d []time.Duration
		for i := 0; i < compileRuns; i++ {
			start := time.Now()
			var err error
			switch f.name {
			case "syscage":
				_, err = seccomp.Compile(p, arch.X86_64, seccomp.Options{})
			case "syscage-noenosys":
				_, err = seccomp.Compile(p, arch.X86_64, seccomp.Options{NoENOSYS: true})
			case "syscage-weighted":
				_, err = seccomp.Compile(p, arch.X86_64, seccomp.Options{Weights: weights})
			case "libseccomp-O1":
				_, err = libseccomp.Build(p, arch.X86_64, libseccomp.Options{Optimize: 1})
			case "libseccomp-O2":
				_, err = libseccomp.Build(p, arch.X86_64, libseccomp.Options{Optimize: 2})
			}
			if err != nil {
				return err
			}
			d = append(d, time.Since(start))
		}
		vals = append(vals, float64(median(d).Microseconds()))
	}
	row("compile time, median µs", vals, "%.0f")

	// VM instructions of the probes.
	for _, pr := range probes {
		vals = nil
		for _, f := range fs {
			d := bpf.SeccompData{Nr: int32(pr.Nr), Arch: arch.X86_64.Audit()}
			for i, a := range pr.Args {
				d.Args[i] = uint64(a)
			}
			ret, ex, err := bpf.NewVM(arch.X86_64.ByteOrder()).Run(f.prog, d.Marshal(arch.X86_64.ByteOrder()))
			if err != nil {
				return err
			}
			if cached(f.prog, arch.X86_64, uint32(pr.Nr)) {
				ex = 0
			}
			_ = ret
			vals = append(vals, float64(ex))
		}
		row("BPF insns in kernel: "+pr.Name, vals, "%.0f")
	}
	if err := checkProbes(p, fs); err != nil {
		return err
	}

	if kernel {
		if err := tw.Flush(); err != nil {
			return err
		}
		if host, _ := arch.Native(); host != arch.X86_64 {
			fmt.Fprintf(w, "\nkernel timing skipped: this is %s, the filters are x86_64's\n", host)
			return nil
		}
		// One child per filter and repetition, interleaved, so that noise
		// from the machine spreads over all of them.
		res := map[string][]map[string]float64{}
		order := append([]filter{{name: "unfiltered"}}, fs...)
		for r := 0; r < reps; r++ {
			for _, f := range order {
				t, err := timeInKernel(f.prog, n)
				if err != nil {
					return fmt.Errorf("%s: %w", f.name, err)
				}
				res[f.name] = append(res[f.name], t)
			}
		}
		fmt.Fprintf(tw, "\n")
		fmt.Fprintf(tw, "kernel, ns/call (median)\tunfiltered\t")
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t", f.name)
		}
		fmt.Fprintf(tw, "syscage/O2\t\n")
		for _, pr := range probes {
			med := func(name string) float64 {
				var v []float64
				for _, t := range res[name] {
					v = append(v, t[pr.Name])
				}
				sort.Float64s(v)
				return v[len(v)/2]
			}
			fmt.Fprintf(tw, "%s\t%.1f\t", pr.Name, med("unfiltered"))
			for _, f := range fs {
				fmt.Fprintf(tw, "%.1f\t", med(f.name))
			}
			fmt.Fprintf(tw, "%.2f\t\n", med(fs[0].name)/med(ref))
		}
	}
	return tw.Flush()
}

// checkProbes makes sure the probes mean what they say for every filter:
// getppid and personality(0xffffffff) allowed, the denied call denied.
func checkProbes(p *profile.Profile, fs []filter) error {
	for _, pr := range probes {
		d := bpf.SeccompData{Nr: int32(pr.Nr), Arch: arch.X86_64.Audit()}
		for i, a := range pr.Args {
			d.Args[i] = uint64(a)
		}
		want, err := seccomp.Expect(p, arch.X86_64, seccomp.Options{}, d)
		if err != nil {
			return err
		}
		allowed := want.Kind == profile.ActAllow
		if allowed == strings.Contains(pr.Name, "denied") {
			return fmt.Errorf("probe %s: the profile gives %s", pr.Name, want)
		}
		for _, f := range fs {
			ret, _, err := bpf.NewVM(arch.X86_64.ByteOrder()).Run(f.prog, d.Marshal(arch.X86_64.ByteOrder()))
			if err != nil {
				return err
			}
			if ret != seccomp.RetOf(want) {
				return fmt.Errorf("probe %s: %s gives %#x, the profile %s", pr.Name, f.name, ret, want)
			}
		}
	}
	return nil
}

func kernelRelease() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "6.18.0"
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// argHeavyRun compares the sizes and compile times of n random
// argument-heavy profiles (proftest.ArgHeavy: 60 rules of six conditions
// of every operator on x86_64, x86 and x32, all ALLOW or mixed actions):
// syscage as given and hardened, libseccomp (optimize 2) as given.
func argHeavyRun(w io.Writer, n int) error {
	if n <= 0 {
		return nil
	}
	fmt.Fprintf(w, "\nArgument-heavy profiles: 60 rules of six conditions of every operator on 64-bit values, x86_64 with x86 and x32 (proftest.ArgHeavy)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "seed\tactions\tsyscage insns\thardened insns\tlibseccomp-O2 insns\tsyscage/O2\tsyscage ms\thardened ms\tlibseccomp ms\t\n")
	timed := func(fn func() (int, error)) (int, time.Duration, error) {
		start := time.Now()
		k, err := fn()
		return k, time.Since(start), err
	}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		mixed := seed%2 == 0
		p := proftest.ArgHeavy(rand.New(rand.NewPCG(seed, 60)), 60, mixed)
		size := func(q *profile.Profile) func() (int, error) {
			return func() (int, error) {
				f, err := seccomp.Compile(q, arch.X86_64, seccomp.Options{NoENOSYS: true})
				if err != nil {
					return 0, err
				}
				return len(f.Program), nil
			}
		}
		k, d, err := timed(size(p))
		if err != nil {
			return fmt.Errorf("argument-heavy profile %d: %w", seed, err)
		}
		hk, hd := "-", "-"
		if h, _, err := harden.Profile(p, arch.X86_64); err == nil {
			n, d, err := timed(size(h))
			if err != nil {
				return fmt.Errorf("argument-heavy profile %d hardened: %w", seed, err)
			}
			hk, hd = strconv.Itoa(n), fmt.Sprintf("%.1f", d.Seconds()*1e3)
		}
		lk, ld, err := timed(func() (int, error) {
			prog, err := libseccomp.Build(p, arch.X86_64, libseccomp.Options{Optimize: 2})
			return len(prog), err
		})
		if err != nil {
			return fmt.Errorf("argument-heavy profile %d: libseccomp: %w", seed, err)
		}
		acts := "ALLOW"
		if mixed {
			acts = "mixed"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%.2f\t%.1f\t%s\t%.1f\t\n", seed, acts, k, hk, lk, float64(k)/float64(lk), d.Seconds()*1e3, hd, ld.Seconds()*1e3)
	}
	return tw.Flush()
}
