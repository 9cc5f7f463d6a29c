package seccomp_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// inputs returns the system calls a filter is checked on for abi: every
// number of the table and numbers beyond it, and for the numbers a rule
// decides by arguments, the boundary values of every condition of p in
// every argument.
func inputs(p *profile.Profile, abi arch.Arch) []seccomp.Data {
	// Boundary values per system-call name, from the conditions of the
	// rules naming it; the multiplexers get every value.
	byName := map[string][]uint64{}
	var all []uint64
	for _, r := range p.Rules {
		var vs []uint64
		for _, c := range r.Conds {
			for _, v := range []uint64{c.Value, c.ValueTwo, c.ValueTwo & c.Value} {
				vs = append(vs, v-1, v, v+1, v&0xffffffff, v&^0xffffffff, v|0xffffffff00000000, ^v)
			}
		}
		for _, n := range r.Names {
			byName[n] = append(byName[n], vs...)
		}
		all = append(all, vs...)
	}
	common := []uint64{0, 1, 0xffffffff, 0x100000000, ^uint64(0)}
	byName["socketcall"] = append(byName["socketcall"], all...)
	byName["ipc"] = append(byName["ipc"], all...)
	conditional := map[uint32]bool{}
	if t, err := p.Table(abi, profile.TableOptions{Decisions: true}); err == nil {
		for _, e := range t.Syscalls {
			conditional[e.Nr] = e.Conditional()
		}
	}
	var nrs []uint32
	for _, s := range abi.Syscalls() {
		nrs = append(nrs, s.Nr)
	}
	m := abi.MaxSyscall()
	nrs = append(nrs, m+1, m+100, 0x3fffffff, 0x40000000, 0x40000001, 0x4000ffff, 0xfffffffe, 0xffffffff, 0xf0001, 0xf0005)
	var out []seccomp.Data
	for _, nr := range nrs {
		d := seccomp.DataFor(abi, nr)
		out = append(out, d)
		d.Args = [6]uint64{0xdeadbeefcafe, 1, 2, 3, 4, 5}
		out = append(out, d)
		if !conditional[nr] {
			continue
		}
		name, _ := abi.SyscallName(nr)
		vals := append(append([]uint64(nil), common...), byName[name]...)
		for i := 0; i < 6; i++ {
			for _, v := range vals {
				d := seccomp.DataFor(abi, nr)
				d.Args[i] = v
				out = append(out, d)
			}
		}
	}
	return out
}

// check compares the compiled filter with the reference on every input
// of every ABI in abis.
func check(t *testing.T, p *profile.Profile, host arch.Arch, o seccomp.Options, abis ...arch.Arch) *seccomp.Filter {
	t.Helper()
	f, err := seccomp.Compile(p, host, o)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if err := f.Program.Validate(); err != nil {
		t.Fatalf("the kernel would refuse the filter: %v", err)
	}
	bad := 0
	for _, abi := range abis {
		for _, d := range inputs(p, abi) {
			want, err := seccomp.Expect(p, host, o, d)
			if err != nil {
				t.Fatalf("expect: %v", err)
			}
			got, _, err := f.Eval(abi, d)
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if got != seccomp.RetOf(want) {
				if bad == 0 {
					t.Errorf("filter:\n%s", bpf.Disassemble(f.Program, bpf.DisasmOptions{Notes: f.Notes}))
				}
				t.Errorf("%s nr=%#x args=%#x: filter %s, profile %s", abi, uint32(d.Nr), d.Args, seccomp.ActionOf(got), want)
				if bad++; bad > 20 {
					t.FailNow()
				}
			}
		}
	}
	return f
}

func TestCompileDockerDefault(t *testing.T) {
	p := proftest.DockerDefault(arch.X86_64)
	for _, o := range []seccomp.Options{{}, {NoENOSYS: true}} {
		f := check(t, p, arch.X86_64, o, arch.X86_64, arch.X86, arch.X32, arch.AARCH64)
		t.Logf("NoENOSYS=%v: %d instructions", o.NoENOSYS, len(f.Program))
	}
	pa := proftest.DockerDefault(arch.AARCH64)
	check(t, pa, arch.AARCH64, seccomp.Options{}, arch.AARCH64, arch.ARM, arch.X86_64)
	ps := proftest.DockerDefault(arch.S390X)
	check(t, ps, arch.S390X, seccomp.Options{}, arch.S390X, arch.S390)
}

var operatorProfiles = map[string]string{
	"every operator": `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[
		{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":3,"op":"SCMP_CMP_NE"}]},
		{"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":4294967296,"op":"SCMP_CMP_LT"}]},
		{"names":["close"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":18446744069414584321,"op":"SCMP_CMP_LE"}]},
		{"names":["openat"],"action":"SCMP_ACT_ALLOW","args":[{"index":3,"value":4294967295,"op":"SCMP_CMP_EQ"}]},
		{"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":4,"value":4294967297,"op":"SCMP_CMP_GE"}]},
		{"names":["munmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":5,"value":18446744073709551614,"op":"SCMP_CMP_GT"}]},
		{"names":["mprotect"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":18446744069414584324,"valueTwo":4,"op":"SCMP_CMP_MASKED_EQ"}]},
		{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
		{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":97,"args":[{"index":0,"value":16,"op":"SCMP_CMP_EQ"},{"index":1,"value":3,"op":"SCMP_CMP_EQ"}]},
		{"names":["getpid","getppid"],"action":"SCMP_ACT_ALLOW"}
	]}`,
	"every action": `{"defaultAction":"SCMP_ACT_KILL_PROCESS","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
		{"names":["read"],"action":"SCMP_ACT_ALLOW"},
		{"names":["write"],"action":"SCMP_ACT_ERRNO","errnoRet":4094},
		{"names":["close"],"action":"SCMP_ACT_TRACE","errnoRet":7},
		{"names":["openat"],"action":"SCMP_ACT_TRAP"},
		{"names":["mmap"],"action":"SCMP_ACT_LOG"},
		{"names":["munmap"],"action":"SCMP_ACT_KILL_THREAD"},
		{"names":["mprotect"],"action":"SCMP_ACT_KILL"},
		{"names":["uname"],"action":"SCMP_ACT_NOTIFY"}
	]}`,
	"x32 alone": `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X32"],"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}`,
	"big endian": `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_S390X","SCMP_ARCH_S390"],"syscalls":[
		{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":10,"op":"SCMP_CMP_EQ"}]},
		{"names":["mmap"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":4294967298,"op":"SCMP_CMP_GT"}]}]}`,
}

func TestCompileOperators(t *testing.T) {
	for name, js := range operatorProfiles {
		t.Run(name, func(t *testing.T) {
			p := proftest.Parse(t, js)
			for _, host := range []arch.Arch{arch.X86_64, arch.S390X} {
				if p.Arches[0].BigEndian() != host.BigEndian() {
					// libseccomp refuses to mix byte orders (EDOM).
					if _, err := seccomp.Compile(p, host, seccomp.Options{}); !errors.Is(err, profile.ErrInvalid) {
						t.Errorf("compile for %s with %v: %v, want an error for mixed byte orders", host, p.Arches, err)
					}
					continue
				}
				check(t, p, host, seccomp.Options{}, append([]arch.Arch{host}, p.Arches...)...)
			}
		})
	}
}

func TestCacheable(t *testing.T) {
	p := proftest.DockerDefault(arch.X86_64)
	f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, abi := range []arch.Arch{arch.X86_64, arch.X86, arch.X32} {
		tab, err := p.Table(abi, profile.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		served := 0
		for _, e := range tab.Syscalls {
			uncond := len(e.Rules) == 0 && e.Action.Kind == profile.ActAllow
			if got := f.Cacheable(abi, e.Nr); got != uncond {
				t.Errorf("%s %s: cacheable %v, want %v", abi, e.Name, got, uncond)
			}
			if uncond {
				served++
			}
		}
		t.Logf("%s: the action cache serves %d system calls", abi, served)
		if served < 250 && abi == arch.X86_64 {
			t.Errorf("%s: only %d cacheable", abi, served)
		}
	}
}

func TestCompileDeterministic(t *testing.T) {
	p := proftest.DockerDefault(arch.X86_64)
	a, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		b, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Encode(), b.Encode()) {
			t.Fatal("two compilations of one profile differ")
		}
	}
}

// TestCompileFarJumps builds a filter whose shared returns are more than
// 255 instructions away from the tree, so the linker must route jumps
// through trampolines, and checks every verdict.
func TestCompileFarJumps(t *testing.T) {
	var rules []string
	for i, s := range arch.X86_64.Syscalls() {
		if i%2 == 0 && i < 300 {
			rules = append(rules, fmt.Sprintf(`{"names":[%q],"action":"SCMP_ACT_ALLOW","args":[{"index":%d,"value":%d,"op":"SCMP_CMP_GT"}]}`, s.Name, i%6, i*1000003))
		}
	}
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[`+strings.Join(rules, ",")+`]}`)
	f := check(t, p, arch.X86_64, seccomp.Options{}, arch.X86_64)
	if len(f.Program) < 600 {
		t.Fatalf("only %d instructions: the test does not exercise far jumps", len(f.Program))
	}
}

func TestCompileTooLarge(t *testing.T) {
	var rules []string
	for i, s := range arch.X86_64.Syscalls() {
		var args []string
		for j := 0; j < 6; j++ {
			args = append(args, fmt.Sprintf(`{"index":%d,"value":%d,"op":"SCMP_CMP_LE"}`, j, i+j))
		}
		rules = append(rules, fmt.Sprintf(`{"names":[%q],"action":"SCMP_ACT_ALLOW","args":[%s]}`, s.Name, strings.Join(args, ",")))
	}
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[`+strings.Join(rules, ",")+`]}`)
	_, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if !errors.Is(err, seccomp.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "4096") {
		t.Errorf("error does not say the limit: %v", err)
	}
}

// TestCompileUnconditionalRuleAfterConditional: libseccomp's tree can
// leave a rule without conditions behind conditional ones for one call; it
// must decide the call, not fall through to the default (found by the
// differential test: the filter trapped what the profile logs).
func TestCompileUnconditionalRuleAfterConditional(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_TRAP","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
		{"names":["epoll_ctl"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":2,"op":"SCMP_CMP_NE"},{"index":0,"value":5,"op":"SCMP_CMP_LE"}]},
		{"names":["epoll_ctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":5,"value":10,"op":"SCMP_CMP_LE"}]}]}`)
	f := check(t, p, arch.X86_64, seccomp.Options{}, arch.X86_64)
	nr, _ := arch.X86_64.SyscallNumber("epoll_ctl")
	got, _, _ := f.Eval(arch.X86_64, seccomp.DataFor(arch.X86_64, nr, 0, 0, 0, 0, 0, 11))
	if got != seccomp.SECCOMP_RET_LOG {
		t.Fatalf("epoll_ctl(0,0,0,0,0,11) = %s, want LOG", seccomp.ActionOf(got))
	}
}

// TestCompileHostileArguments: rules whose paths through libseccomp's
// rule tree are exponentially many (took minutes and made hundreds of
// thousands of instructions) compile within the work budgets to a filter the
// kernel accepts, deciding boundary inputs as the profile says, on 64-bit
// and 32-bit ABIs, little- and big-endian.
func TestCompileHostileArguments(t *testing.T) {
	ne := []profile.Op{profile.OpNE}
	mix := []profile.Op{profile.OpNE, profile.OpGT, profile.OpLT, profile.OpMaskedEQ, profile.OpGE, profile.OpLE}
	for _, tc := range []struct {
		name     string
		n        int
		ops      []profile.Op
		wide     bool
		mixed    bool
		maxInsns int
		// mayRefuse: the tree is too big even shared (libseccomp's own
		// work explodes on it too); a quick ErrTooComplex is the answer.
		mayRefuse bool
	}{
		{"80 rules of six 64-bit NE", 80, ne, true, false, 4096, false},
		{"12 rules of six 64-bit NE", 12, ne, true, false, 600, false},
		{"12 rules of six mixed operators", 12, mix, true, false, 1200, false},
		{"12 rules of mixed operators and actions", 12, mix, true, true, 1200, false},
		{"6 rules of six 32-bit NE", 6, ne, false, false, 4096, true},
	} {
		for _, a := range []arch.Arch{arch.X86_64, arch.X86, arch.ARM, arch.S390X} {
			t.Run(tc.name+"/"+a.String(), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(tc.n), uint64(a)))
				p := proftest.Hostile(r, tc.n, tc.ops, tc.wide, tc.mixed)
				p.Arches = []arch.Arch{a}
				f, err := seccomp.Compile(p, a, seccomp.Options{NoENOSYS: true})
				if tc.mayRefuse && errors.Is(err, profile.ErrTooComplex) {
					return
				}
				if err != nil {
					t.Fatalf("compile: %v", err)
				}
				if len(f.Program) > tc.maxInsns {
					t.Errorf("%d instructions, want at most %d", len(f.Program), tc.maxInsns)
				}
				nr, _ := a.SyscallNumber("personality")
				for _, d := range proftest.Probe(r, a, 400, p) {
					if uint32(d.Nr) != nr || d.Arch != a.Audit() {
						continue
					}
					want, err := seccomp.Expect(p, a, seccomp.Options{NoENOSYS: true}, d)
					if err != nil {
						t.Fatalf("expect: %v", err)
					}
					got, _, err := f.Eval(a, d)
					if err != nil {
						t.Fatal(err)
					}
					if got != seccomp.RetOf(want) {
						t.Fatalf("args %#x: filter %s, profile %s\n%s", d.Args, seccomp.ActionOf(got), want, bpf.Disassemble(f.Program, bpf.DisasmOptions{Notes: f.Notes}))
					}
				}
			})
		}
	}
}

// TestCompileDecisions compiles every conditional system call of the
// Docker default profile from its Decision and checks every input.
func TestCompileDecisions(t *testing.T) {
	for _, host := range []arch.Arch{arch.X86_64, arch.S390X} {
		p := proftest.DockerDefault(host)
		check(t, p, host, seccomp.WithDecisions(seccomp.Options{NoENOSYS: true}), append([]arch.Arch{host}, p.Arches...)...)
	}
}
