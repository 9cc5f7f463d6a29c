package seccomp_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// gateProfile has every action and every operator, on 64-bit values
// with both halves set, so that the gate's table holds constant verdicts
// of each kind and entry points into argument checks.
func gateProfile() *profile.Profile {
	act := func(k profile.ActionKind, d uint16) profile.Action { return profile.Action{Kind: k, Data: d} }
	return &profile.Profile{
		Default: act(profile.ActErrno, 1),
		Rules: []profile.Rule{
			{Names: []string{"read", "write", "close", "getpid"}, Action: act(profile.ActAllow, 0)},
			{Names: []string{"uname"}, Action: act(profile.ActKillProcess, 0)},
			{Names: []string{"getppid"}, Action: act(profile.ActTrap, 0)},
			{Names: []string{"getuid"}, Action: act(profile.ActTrace, 7)},
			{Names: []string{"gettid"}, Action: act(profile.ActLog, 0)},
			{Names: []string{"socket"}, Action: act(profile.ActAllow, 0), Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}},
			{Names: []string{"prctl"}, Action: act(profile.ActErrno, 97), Conds: []profile.Cond{{Arg: 0, Op: profile.OpGT, Value: 0x1_0000_0002}}},
			{Names: []string{"mmap", "mmap2"}, Action: act(profile.ActErrno, 13), Conds: []profile.Cond{{Arg: 2, Op: profile.OpMaskedEQ, Value: 6, ValueTwo: 6}}},
			{Names: []string{"mmap", "mmap2"}, Action: act(profile.ActAllow, 0), Conds: []profile.Cond{{Arg: 2, Op: profile.OpMaskedEQ, Value: 6, ValueTwo: 2}}},
			{Names: []string{"mmap", "mmap2"}, Action: act(profile.ActAllow, 0), Conds: []profile.Cond{{Arg: 2, Op: profile.OpLE, Value: 5}}},
			{Names: []string{"personality"}, Action: act(profile.ActAllow, 0), Conds: []profile.Cond{{Arg: 0, Op: profile.OpNE, Value: 0xffff_ffff_0000_0008}}},
			{Names: []string{"kill"}, Action: act(profile.ActAllow, 0), Conds: []profile.Cond{{Arg: 0, Op: profile.OpLT, Value: 100}, {Arg: 1, Op: profile.OpGE, Value: 9}}},
		},
	}
}

// boundaryArgs are the argument values the gate is checked on: each
// condition's value, one less, one more, its halves, 0 and all ones.
func boundaryArgs(p *profile.Profile) []uint64 {
	vals := []uint64{0, 1, 2, 6, ^uint64(0), 0xffff_ffff, 1 << 32}
	for _, r := range p.Rules {
		for _, c := range r.Conds {
			for _, v := range []uint64{c.Value, c.ValueTwo} {
				vals = append(vals, v, v-1, v+1, v&0xffff_ffff, v>>32<<32, v|0xffff_ffff_0000_0000)
			}
		}
	}
	return vals
}

// TestGate checks that the gate's verdict is the compiled filter's,
// bit for bit, on every system-call number of each ABI (and numbers
// beyond its table), with each argument at every boundary value, for a
// profile with every action and operator and for Docker's default; and
// that the table decides without arguments at least the calls the
// kernel's action cache would serve.
func TestGate(t *testing.T) {
	abis := []arch.Arch{arch.X86_64, arch.X32, arch.X86, arch.AARCH64, arch.MIPS, arch.S390X}
	if testenv.Race {
		abis = abis[:3] // test.sh runs every ABI without the race detector
	}
	for _, abi := range abis {
		cases := []struct {
			name string
			p    *profile.Profile
		}{{"every-action", gateProfile()}}
		if abi == arch.X86_64 || abi == arch.X86 || abi == arch.AARCH64 {
			cases = append(cases, struct {
				name string
				p    *profile.Profile
			}{"docker-default", proftest.DockerDefault(abi)})
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s", abi, c.name), func(t *testing.T) {
				f, err := seccomp.Compile(c.p, abi, seccomp.Options{})
				if err != nil {
					t.Fatal(err)
				}
				g, err := seccomp.NewGateFilter(f, abi)
				if err != nil {
					t.Fatal(err)
				}
				vals := boundaryArgs(c.p)
				calls := abi.Syscalls()
				nrs := []uint32{abi.MaxSyscall() + 1, abi.MaxSyscall() + 1000, 0xffffffff, arch.X32SyscallBit | 1, calls[0].Nr - 1}
				for _, s := range calls {
					nrs = append(nrs, s.Nr)
				}
				mismatches := 0
				check := func(nr uint32, args [6]uint64) {
					want, _, err := f.Eval(abi, seccomp.DataFor(abi, nr, args[:]...))
					if err != nil {
						t.Fatal(err)
					}
					if got := g.Decide(nr, &args); got != want && mismatches < 10 {
						mismatches++
						t.Errorf("nr %d args %#x: gate %#x, filter %#x", nr, args, got, want)
					}
				}
				for _, nr := range nrs {
					check(nr, [6]uint64{})
					for _, v := range vals {
						for i := range 3 {
							var args [6]uint64
							args[i] = v
							check(nr, args)
						}
						check(nr, [6]uint64{v, v, v, v, v, v})
					}
				}
				constant, total := g.Constant()
				for _, s := range calls {
					if f.Cacheable(abi, s.Nr) && g.Action(s.Nr, nil).Kind != profile.ActAllow {
						t.Errorf("%s: cacheable but not allowed by the gate", s.Name)
					}
				}
				cacheable := 0
				for _, s := range calls {
					if f.Cacheable(abi, s.Nr) {
						cacheable++
					}
				}
				if constant < cacheable {
					t.Errorf("%d of %d numbers decided without arguments, fewer than the %d the kernel caches", constant, total, cacheable)
				}
				t.Logf("%d of %d numbers decided without arguments", constant, total)
			})
		}
	}
}

// TestGateName checks DecideName against the profile's own semantics
// (seccomp.Expect) and refuses an unknown name.
func TestGateName(t *testing.T) {
	p := gateProfile()
	g, err := seccomp.NewGate(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []uint64
		want string
	}{
		{"read", nil, "ALLOW"},
		{"uname", nil, "KILL_PROCESS"},
		{"getppid", nil, "TRAP"},
		{"getuid", nil, "TRACE(7)"},
		{"socket", []uint64{1}, "ALLOW"},
		{"socket", []uint64{2}, "ERRNO(1)"},
		{"prctl", []uint64{0x1_0000_0003}, "ERRNO(97)"},
		{"prctl", []uint64{0x1_0000_0002}, "ERRNO(1)"},
		{"mmap", []uint64{0, 4096, 7}, "ERRNO(13)"},
		{"mmap", []uint64{0, 4096, 3}, "ALLOW"},
		{"personality", []uint64{0xffff_ffff_0000_0008}, "ERRNO(1)"},
		{"personality", []uint64{8}, "ALLOW"},
		{"kill", []uint64{5, 9}, "ALLOW"},
		{"kill", []uint64{5, 8}, "ERRNO(1)"},
		{"chdir", nil, "ERRNO(1)"},
		{"openat2", nil, "ERRNO(38)"}, // newer than every call the profile names: runc's stub
	} {
		got, err := g.DecideName(c.name, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := arch.X86_64.SyscallNumber(c.name)
		want, err := seccomp.Expect(p, arch.X86_64, seccomp.Options{}, seccomp.DataFor(arch.X86_64, nr, c.args...))
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != c.want || got != want {
			t.Errorf("%s%#x: gate %s, want %s (profile semantics %s)", c.name, c.args, got, c.want, want)
		}
	}
	if _, err := g.DecideName("no_such_call"); !errors.Is(err, profile.ErrUnknownSyscall) {
		t.Errorf("unknown name: %v, want ErrUnknownSyscall", err)
	}
}

// BenchmarkGate decides the realistic x86_64 mix under Docker's default
// profile, through the gate's table and, side by side, by running the
// whole compiled filter in a loaded VM on data marshalled ahead; both
// report decisions per second.
func BenchmarkGate(b *testing.B) {
	p := proftest.DockerDefault(arch.X86_64)
	f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := seccomp.NewGateFilter(f, arch.X86_64)
	if err != nil {
		b.Fatal(err)
	}
	names, counts := syscallMix(b)
	var nrs []uint32
	for i, n := range names {
		nr, ok := arch.X86_64.SyscallNumber(n)
		if !ok {
			continue
		}
		for range max(1, int(counts[i]*1000/counts[0])) {
			nrs = append(nrs, nr)
		}
	}
	args := [6]uint64{1, 2, 3, 4, 5, 6}
	b.Run("gate", func(b *testing.B) {
		var sink uint32
		i := 0
		for b.Loop() {
			sink ^= g.Decide(nrs[i%len(nrs)], &args)
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		_ = sink
	})
	// The whole filter in a loaded VM, on seccomp_data marshalled ahead.
	vm := bpf.NewVM(binary.LittleEndian)
	if err := vm.Load(f.Program); err != nil {
		b.Fatal(err)
	}
	data := make([][]byte, len(nrs))
	for i, nr := range nrs {
		data[i] = seccomp.DataFor(arch.X86_64, nr, args[:]...).Marshal(binary.LittleEndian)
	}
	b.Run("vm", func(b *testing.B) {
		var sink uint32
		i := 0
		for b.Loop() {
			r, _, _ := vm.Exec(data[i%len(data)])
			sink ^= r
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		_ = sink
	})
}

// A plugin host gates its plugin's requests by the same profile a
// process would run under.
func ExampleGate() {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Rules: []profile.Rule{
			{Names: []string{"read", "write"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"socket"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}},
		},
	}
	g, err := seccomp.NewGate(p, arch.X86_64, seccomp.Options{NoENOSYS: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []struct {
		name string
		args []uint64
	}{{"write", []uint64{1}}, {"socket", []uint64{1}}, {"socket", []uint64{2}}, {"ptrace", nil}} {
		a, _ := g.DecideName(c.name, c.args...)
		fmt.Println(c.name, c.args, a)
	}
	// Output:
	// write [1] ALLOW
	// socket [1] ALLOW
	// socket [2] ERRNO(1)
	// ptrace [] ERRNO(1)
}
