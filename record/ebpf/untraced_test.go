//go:build linux && amd64

package ebpf

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

// untracedModes are the ways record/testdata/untraced.c starts a task
// with CLONE_UNTRACED (see the program).
var untracedModes = []string{"clone", "clone3", "deep", "daemon", "thread", "parent", "uthread"}

func buildUntraced(t *testing.T) string {
	t.Helper()
	gcc := testenv.Tool(t, "gcc", "gcc")
	out := filepath.Join(t.TempDir(), "untraced")
	if b, err := exec.Command(gcc, "-O1", "-pthread", "-o", out, filepath.Join("..", "testdata", "untraced.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	return out
}

// wantUntracedRecorded checks that the recording ended after the task
// outside the trace had reported a working sysinfo, which is recorded.
func wantUntracedRecorded(t *testing.T, res *record.Result, out string) {
	t.Helper()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the task had not finished when the recording ended: %v", err)
	}
	if string(b) != "sysinfo 0\n" {
		t.Errorf("the task says %q, want its sysinfo to work", b)
	}
	if !res.Recording.Has(res.Recording.Native, "sysinfo") {
		t.Errorf("sysinfo of the task is not recorded: %v", res.Recording.Calls())
	}
	if res.Recording.Partial {
		t.Errorf("partial: %s", res.Recording.Reason)
	}
}

// TestRecordUntraced: the eBPF engine follows forks in the kernel
// (sched_process_fork), not through ptrace, so a task started with
// CLONE_UNTRACED, and what it starts, is in the tree like any other: the
// recording waits for it and has its calls.
func TestRecordUntraced(t *testing.T) {
	needEngine(t)
	prog := buildUntraced(t)
	for _, mode := range untracedModes {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			res := recordCmd(t, []string{prog, mode, out})
			wantUntracedRecorded(t, res, out)
		})
	}
}

// TestAttachUntraced: the same when the recorder attaches to the running
// program (record --pid).
func TestAttachUntraced(t *testing.T) {
	needEngine(t)
	prog := buildUntraced(t)
	for _, mode := range untracedModes {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(prog, "wait-"+mode, out)
			w, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer w.Close()
			o := record.Options{OnRecording: func() { w.Write([]byte{1}) }}
			res, err := AttachPID(context.Background(), cmd.Process.Pid, o)
			if err != nil {
				t.Fatal(err)
			}
			wantUntracedRecorded(t, res, out)
		})
	}
}
