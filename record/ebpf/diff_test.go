//go:build linux && amd64

package ebpf

import (
	"context"
	"os"
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

// names returns the calls of r per ABI.
func names(r *record.Recording) map[arch.Arch][]string {
	m := map[arch.Arch][]string{}
	for _, c := range r.Calls() {
		m[c.Arch] = append(m[c.Arch], c.Name)
	}
	return m
}

// TestSameAsPtrace records one multi-process workload with both engines:
// the calls per ABI must be the same.
func TestSameAsPtrace(t *testing.T) {
	needEngine(t)
	bin := buildTree(t)
	o := record.Options{Helper: []string{"/proc/self/exe", os.Args[0], record.HelperCommand}}
	pres, err := record.Run(context.Background(), []string{bin}, o)
	if err != nil {
		t.Fatalf("ptrace engine: %v", err)
	}
	eres, err := Run(context.Background(), []string{bin}, o)
	if err != nil {
		t.Fatalf("eBPF engine: %v", err)
	}
	if eres.ExitCode != 0 || pres.ExitCode != 0 {
		t.Fatalf("exit codes: eBPF %d, ptrace %d; want 0", eres.ExitCode, pres.ExitCode)
	}
	if eres.Recording.Partial {
		t.Errorf("eBPF recording partial: %s", eres.Recording.Reason)
	}
	pn, en := names(pres.Recording), names(eres.Recording)
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
	for _, n := range []string{"getcwd", "uname", "sysinfo", "vfork", "pipe2", "execve", "futex"} {
		if !slices.Contains(en[arch.X86_64], n) {
			t.Errorf("eBPF engine missed %s: %v", n, en[arch.X86_64])
		}
	}
	if t.Failed() {
		t.Logf("ptrace: %v\neBPF:   %v", pn, en)
	}
}
