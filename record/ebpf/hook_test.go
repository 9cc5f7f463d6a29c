//go:build linux && amd64

package ebpf

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

// TestHook: the engine says where it counts, and records the same with
// fentry, where the kernel lets it attach, as with the raw tracepoint.
func TestHook(t *testing.T) {
	needEngine(t)
	h := Hook()
	t.Logf("hook: %s", h)
	targets, err := fentryTargets()
	if err != nil {
		t.Skipf("no fentry here, the engine uses the raw tracepoint: %v", err)
	}
	for _, want := range []string{"x64_sys_call", "sys_ni_syscall"} {
		if !slices.ContainsFunc(targets, func(t hookTarget) bool { return t.fn == want }) {
			t.Errorf("no fentry program on %s: %v", want, targets)
		}
	}
	e, err := load(config{args: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if e.hook != h || e.tps[0] != hookFentry+"x64_sys_call" {
		t.Errorf("engine hook %q (%v), want %q", e.hook, e.tps, h)
	}
}

// withTracepoint runs f with the engine counting on the raw tracepoint.
func withTracepoint(f func()) {
	defer func(b bool) { useTracepoint = b }(useTracepoint)
	useTracepoint = true
	f()
}

// withAsTracepoint runs f with the fentry programs of targets loaded as
// raw tracepoint programs on sys_enter.
func withAsTracepoint(targets []hookTarget, f func()) {
	defer func(t []hookTarget) { asTracepoint = t }(asTracepoint)
	asTracepoint = targets
	f()
}

// TestFentryProgramsLoad: the verifier takes the program of every
// dispatcher and of sys_ni_syscall, with and without Args, for a
// tree and for a cgroup (loaded where their context is alike, on the
// raw tracepoint, so that a kernel that refuses fentry checks them too).
func TestFentryProgramsLoad(t *testing.T) {
	needEngine(t)
	all := []hookTarget{{"x64_sys_call", srcX64}, {"ia32_sys_call", srcIA32}, {"x32_sys_call", srcX32}, {"sys_ni_syscall", srcNI}}
	cg, err := os.Open(newCgroup(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	for _, cfg := range []config{{}, {args: true}, {mode: byCgroup, cgroup: cg}, {mode: byCgroup, args: true, cgroup: cg}} {
		t.Run(fmt.Sprintf("mode=%d,args=%v", cfg.mode, cfg.args), func(t *testing.T) {
			withAsTracepoint(all, func() {
				e, err := load(cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer e.close()
				if len(e.progs) < len(all) || e.scratch == nil {
					t.Errorf("%d programs, scratch %v", len(e.progs), e.scratch)
				}
			})
		})
	}
}

// TestFentryLogic runs the fentry programs where the kernel lets them
// run, on the raw tracepoint: sys_ni_syscall's alone records
// every call under the task's ABI, as the tracepoint's program does;
// behind x64_sys_call's (which counts every call as x86_64) it counts
// none twice, which is how a number in a gap of a table counts once.
func TestFentryLogic(t *testing.T) {
	needEngine(t)
	ni := hookTarget{"sys_ni_syscall", srcNI}
	x64 := hookTarget{"x64_sys_call", srcX64}
	t.Run("ni", func(t *testing.T) {
		withAsTracepoint([]hookTarget{ni}, func() {
			res := recordCmd(t, []string{os.Args[0]}, testenv.Env("x32"))
			if !res.Recording.Has(arch.X32, "getpid") {
				t.Errorf("x32 getpid not recorded: %v", res.Recording.Calls())
			}
			res = recordCmd(t, []string{os.Args[0]}, testenv.Env("beyond"))
			if !slices.Contains(res.Recording.Unknown, "x86_64:>1023") {
				t.Errorf("syscall 5000 not in Unknown %v", res.Recording.Unknown)
			}
		})
	})
	t.Run("x64+ni", func(t *testing.T) {
		var tp, both map[string]uint64
		withTracepoint(func() { tp = callCounts(recordCmd(t, []string{"true"}).Recording.Calls()) })
		withAsTracepoint([]hookTarget{x64, ni}, func() {
			both = callCounts(recordCmd(t, []string{"true"}).Recording.Calls())
			// The x32 getpid reaches x64_sys_call's program here, as
			// a number beyond its table, and is not counted again.
			res := recordCmd(t, []string{os.Args[0]}, testenv.Env("x32"))
			if res.Recording.Has(arch.X32, "getpid") {
				t.Errorf("x32 getpid counted by sys_ni_syscall's program after x64_sys_call's")
			}
		})
		if fmt.Sprint(tp) != fmt.Sprint(both) {
			t.Errorf("true: tracepoint %v\nx64_sys_call+sys_ni_syscall %v", tp, both)
		}
	})
}

// callCounts maps "abi name" to the count of each call.
func callCounts(calls []record.Call) map[string]uint64 {
	m := map[string]uint64{}
	for _, c := range calls {
		m[fmt.Sprintf("%s %s", c.Arch, c.Name)] = c.Count
	}
	return m
}

// TestFentryAttachFails: a kernel that loads the fentry programs but
// does not attach them gets the raw tracepoint, which records, and the
// Result says why.
func TestFentryAttachFails(t *testing.T) {
	needEngine(t)
	defer func() { asFentryLinks = false }()
	asFentryLinks = true
	withAsTracepoint([]hookTarget{{"x64_sys_call", srcX64}, {"sys_ni_syscall", srcNI}}, func() {
		res := recordCmd(t, []string{"true"})
		if !res.Recording.Has(arch.X86_64, "execve") {
			t.Errorf("no execve in %v", res.Recording.Calls())
		}
		if !strings.HasPrefix(res.Hook, "the raw tracepoint sys_enter (fentry: attach an fentry program on x64_sys_call: ") {
			t.Errorf("hook %q, want the tracepoint because x64_sys_call's program did not attach", res.Hook)
		}
	})
}
