//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

// needEngine ends the test unless the engine can run.
func needEngine(t testing.TB) {
	t.Helper()
	testenv.Root(t, "loading eBPF tracing programs")
	if err := Available(); err != nil {
		t.Fatalf("the eBPF engine cannot run as root here: %v", err)
	}
}

func TestOffsets(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	o, err := kernelOffsets()
	if err != nil {
		t.Fatal(err)
	}
	if o.tgid == 0 || o.signal == 0 || o.status < 0 || o.tgid == o.signal {
		t.Errorf("offsets %+v look wrong", o)
	}
}

func recordCmd(t *testing.T, argv []string, env ...string) *record.Result {
	t.Helper()
	res, err := Run(context.Background(), argv, record.Options{
		Helper: []string{"/proc/self/exe", os.Args[0], record.HelperCommand},
		Env:    append(os.Environ(), env...),
		Stderr: os.Stderr,
	})
	if err != nil {
		t.Fatalf("record %v: %v", argv, err)
	}
	if res.Recording.Partial {
		t.Errorf("record %v: partial: %s", argv, res.Recording.Reason)
	}
	return res
}

func TestRecordTrue(t *testing.T) {
	needEngine(t)
	res := recordCmd(t, []string{"true"})
	if res.ExitCode != 0 {
		t.Errorf("exit code %d, want 0", res.ExitCode)
	}
	for _, name := range []string{"execve", "exit_group"} {
		if !res.Recording.Has(arch.X86_64, name) {
			t.Errorf("no %s in %v", name, res.Recording.Calls())
		}
	}
	for _, c := range res.Recording.Calls() {
		t.Logf("%s %s %d", c.Arch, c.Name, c.Count)
	}
}

func TestNotFound(t *testing.T) {
	_, err := Run(context.Background(), []string{"/nonexistent/prog"}, record.Options{})
	if !errors.Is(err, record.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	_ = exec.ErrNotFound
}
