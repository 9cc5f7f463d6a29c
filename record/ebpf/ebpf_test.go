//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

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
}

// TestHelperThreadsNotRecorded: the calls other threads of the helper make
// while it executes the target are not the target's.
func TestHelperThreadsNotRecorded(t *testing.T) {
	needEngine(t)
	// The window is short: several tries catch the other thread in it.
	for range 20 {
		res := recordCmd(t, []string{"true"}, noiseEnv+"=1")
		if res.Recording.Has(arch.X86_64, "getpriority") {
			t.Fatalf("the helper's getpriority was recorded: %v", res.Recording.Calls())
		}
		if !res.Recording.Has(arch.X86_64, "execve") {
			t.Fatalf("no execve: %v", res.Recording.Calls())
		}
	}
}

func TestABIs(t *testing.T) {
	needEngine(t)
	res := recordCmd(t, []string{os.Args[0]}, testenv.Env("x32"))
	for _, c := range res.Recording.Calls() {
		if c.Arch == arch.X32 && (c.Name != "getpid" || c.Count != 1) {
			t.Errorf("x32 %s %d times, want only getpid once", c.Name, c.Count)
		}
	}
	if !res.Recording.Has(arch.X32, "getpid") {
		t.Errorf("x32 getpid not recorded: %v", res.Recording.Calls())
	}
	res = recordCmd(t, []string{os.Args[0]}, testenv.Env("beyond"))
	if !slices.Contains(res.Recording.Unknown, "x86_64:>1023") {
		t.Errorf("syscall 5000 not in Unknown %v", res.Recording.Unknown)
	}
}

// TestLossMarksPartial: forks the tgid map has no room for make the
// recording partial.
func TestLossMarksPartial(t *testing.T) {
	needEngine(t)
	defer func(n uint32) { maxTgids = n }(maxTgids)
	maxTgids = 2
	res, err := Run(context.Background(), []string{"sh", "-c", "true & true & true & wait"}, record.Options{
		Helper: []string{"/proc/self/exe", os.Args[0], record.HelperCommand},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Recording.Partial || !strings.Contains(res.Recording.Reason, "forks were not followed") {
		t.Errorf("partial %v (%q), want partial for lost forks", res.Recording.Partial, res.Recording.Reason)
	}
}

// TestStop: when the context ends, the tree gets Options.Stop, also a
// process that outlived the program, and the recording ends.
func TestStop(t *testing.T) {
	needEngine(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		res *record.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Run(ctx, []string{"sh", "-c", "sleep 30 & echo ready; exec sleep 30"}, record.Options{
			Helper: []string{"/proc/self/exe", os.Args[0], record.HelperCommand},
			Stdout: w,
		})
		done <- result{res, err}
	}()
	if _, err := r.Read(make([]byte, 6)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	start := time.Now()
	cancel()
	got := <-done
	if got.err != nil {
		t.Fatal(got.err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the recording took %v after the context ended", d)
	}
	if got.res.Signal != syscall.SIGTERM {
		t.Errorf("signal %v, want SIGTERM", got.res.Signal)
	}
	for _, name := range []string{"execve", "write"} { // before "ready" was read
		if !got.res.Recording.Has(arch.X86_64, name) {
			t.Errorf("no %s recorded: %v", name, got.res.Recording.Calls())
		}
	}
}

// TestSignals: Options.Signals reach the program; one that ends it of a
// signal that dumps core, sent by the caller, is no crash.
func TestSignals(t *testing.T) {
	needEngine(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sigs := make(chan os.Signal, 1)
	type result struct {
		res *record.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Run(context.Background(), []string{"sh", "-c", "echo ready; exec sleep 30"}, record.Options{
			Helper:  []string{"/proc/self/exe", os.Args[0], record.HelperCommand},
			Stdout:  w,
			Signals: sigs,
		})
		done <- result{res, err}
	}()
	if _, err := r.Read(make([]byte, 6)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	sigs <- syscall.SIGQUIT
	got := <-done
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.res.Signal != syscall.SIGQUIT {
		t.Errorf("signal %v, want SIGQUIT", got.res.Signal)
	}
	if got.res.Recording.Partial {
		t.Errorf("partial (%s), but the signal was forwarded, not a crash", got.res.Recording.Reason)
	}
}
