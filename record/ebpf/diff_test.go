//go:build linux && amd64

package ebpf

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

// buildTree compiles testdata/tree.c.
func buildTree(t *testing.T) string {
	t.Helper()
	cc := testenv.Tool(t, "gcc", "gcc")
	bin := filepath.Join(t.TempDir(), "tree")
	if out, err := exec.Command(cc, "-O1", "-pthread", "-o", bin, "testdata/tree.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// calls returns the calls of r per ABI, with their argument values (as
// text) when args.
func calls(r *record.Recording, args bool) map[arch.Arch][]string {
	m := map[arch.Arch][]string{}
	for _, c := range r.Calls() {
		s := c.Name
		if args {
			s = fmt.Sprintf("%s%v%v", c.Name, c.ArgIndexes, c.Values)
		}
		m[c.Arch] = append(m[c.Arch], s)
	}
	return m
}

// runBoth records bin with the ptrace engine and then with the eBPF one,
// keeping argument values with args.
func runBoth(t *testing.T, bin string, args bool) (ptrace, ebpf *record.Result) {
	t.Helper()
	o := record.Options{Args: args}
	ptrace, err := record.Run(context.Background(), []string{bin}, o)
	if err != nil {
		t.Fatalf("ptrace engine: %v", err)
	}
	ebpf, err = Run(context.Background(), []string{bin}, o)
	if err != nil {
		t.Fatalf("eBPF engine: %v", err)
	}
	return ptrace, ebpf
}

// hooks are the ways the eBPF engine can count calls here, each a
// function that runs f with it: where the engine would (fentry or the
// raw tracepoint), on the raw tracepoint where that is not it, and the
// sys_ni_syscall program run on the raw tracepoint (as the only one it
// sees every call: it reads the registers and the ABI from the task, as
// it does for a number in no table).
func hooks() map[string]func(f func()) {
	m := map[string]func(f func()){
		"default":                      func(f func()) { f() },
		"sys_ni_syscall on tracepoint": func(f func()) { withAsTracepoint([]hookTarget{{"sys_ni_syscall", srcNI}}, f) },
	}
	if _, err := fentryTargets(); err == nil {
		m["tracepoint"] = withTracepoint
	}
	return m
}

// TestSameAsPtrace records one multi-process workload with both engines:
// the calls per ABI must be the same, and with Args the values of their
// checked arguments too; the eBPF engine each way it can count here.
func TestSameAsPtrace(t *testing.T) {
	needEngine(t)
	bin := buildTree(t)
	for hook, with := range hooks() {
		for _, args := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/args=%v", hook, args), func(t *testing.T) {
				with(func() { sameAsPtrace(t, bin, args) })
			})
		}
	}
}

func sameAsPtrace(t *testing.T, bin string, args bool) {
	t.Helper()
	pres, eres := runBoth(t, bin, args)
	if eres.ExitCode != 0 || pres.ExitCode != 0 {
		t.Fatalf("exit codes: eBPF %d, ptrace %d; want 0", eres.ExitCode, pres.ExitCode)
	}
	if eres.Recording.Partial {
		t.Errorf("eBPF recording partial: %s", eres.Recording.Reason)
	}
	pn, en := calls(pres.Recording, args), calls(eres.Recording, args)
	for _, a := range []arch.Arch{arch.X86_64, arch.X86, arch.X32} {
		for _, n := range pn[a] {
			if !slices.Contains(en[a], n) {
				t.Errorf("%s %s: recorded by ptrace, not by eBPF", a, n)
			}
		}
		for _, n := range en[a] {
			if !slices.Contains(pn[a], n) {
				t.Errorf("%s %s: recorded by eBPF, not by ptrace", a, n)
			}
		}
	}
	// Each part of the tree shows.
	names := calls(eres.Recording, false)[arch.X86_64]
	for _, n := range []string{"getcwd", "uname", "sysinfo", "vfork", "pipe2", "execve", "futex", "prctl", "personality"} {
		if !slices.Contains(names, n) {
			t.Errorf("eBPF engine missed %s: %v", n, names)
		}
	}
	if args {
		want := []string{
			"socket[0 1][[1 524290] [2 1]]", // AF_UNIX SOCK_DGRAM|SOCK_CLOEXEC, AF_INET SOCK_STREAM
			"personality[0][[4294967295]]",
			"prctl[][]", // more options than a recording keeps: any
		}
		for _, w := range want {
			if !slices.Contains(en[arch.X86_64], w) {
				t.Errorf("eBPF engine: no %s", w)
			}
		}
	}
	if t.Failed() {
		t.Logf("ptrace: %v\neBPF:   %v", pn, en)
	}
}

// TestSameAsPtraceI386: an i386 program (socketcall(SYS_SOCKET) among its
// calls) records the same with both engines, with and without Args, the
// eBPF engine each way it can count here.
func TestSameAsPtraceI386(t *testing.T) {
	needEngine(t)
	testenv.NeedI386(t)
	cc := testenv.Tool(t, "gcc", "gcc")
	bin := filepath.Join(t.TempDir(), "compat32")
	if out, err := exec.Command(cc, "-m32", "-static", "-o", bin, "../testdata/compat32.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	for hook, with := range hooks() {
		for _, args := range []bool{false, true} {
			with(func() {
				pres, eres := runBoth(t, bin, args)
				pn, en := calls(pres.Recording, args), calls(eres.Recording, args)
				if fmt.Sprint(pn) != fmt.Sprint(en) {
					t.Errorf("%s, args=%v:\nptrace %v\neBPF   %v", hook, args, pn, en)
				}
				if !eres.Recording.Has(arch.X86, "socket") || eres.Recording.Has(arch.X86, "socketcall") {
					t.Errorf("%s, args=%v: socketcall(SYS_SOCKET) not recorded as socket: %v", hook, args, en)
				}
			})
		}
	}
}
