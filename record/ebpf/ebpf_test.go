//go:build linux && amd64

package ebpf

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	cebpf "github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

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
	if res.Hook != Hook() {
		t.Errorf("Result.Hook %q, want %q", res.Hook, Hook())
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

// TestLossMarksPartial: argument values the values map has no room for
// make the recording partial, and every call with checked arguments
// allows any value (the values kept may not be all).
func TestLossMarksPartial(t *testing.T) {
	needEngine(t)
	defer func(n uint32) { valuesLimit = n }(valuesLimit)
	valuesLimit = 1
	res, err := Run(context.Background(), []string{"sh", "-c", "true & wait"}, record.Options{
		Args: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Recording.Partial || !strings.Contains(res.Recording.Reason, "argument values were not kept") {
		t.Errorf("partial %v (%q), want partial for lost values", res.Recording.Partial, res.Recording.Reason)
	}
	for _, c := range res.Recording.Calls() {
		if c.Values != nil {
			t.Errorf("%s: values %v kept, want any value", c.Name, c.Values)
		}
	}
	if !slices.ContainsFunc(res.Recording.Lost, func(l record.Loss) bool { return l.Count > 0 }) {
		t.Errorf("no loss counted: %+v", res.Recording.Lost)
	}
}

type runResult struct {
	res *record.Result
	err error
}

// runReady records the shell script script with o (its standard output a
// pipe, the test binary the helper) in the background, and returns once
// the script has written "ready".
func runReady(t *testing.T, ctx context.Context, script string, o record.Options) <-chan runResult {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	o.Stdout = w
	done := make(chan runResult, 1)
	go func() {
		res, err := Run(ctx, []string{"sh", "-c", script}, o)
		done <- runResult{res, err}
	}()
	if _, err := r.Read(make([]byte, 6)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return done
}

// TestStop: when the context ends, the tree gets Options.Stop, also a
// process that outlived the program, and the recording ends.
func TestStop(t *testing.T) {
	needEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The sleeps outlast any test run: the recording ends only if both
	// get the signal (the guard below is against a hang, not a speed
	// goal).
	done := runReady(t, ctx, "sleep 100000 & echo ready; exec sleep 100000", record.Options{})
	cancel()
	var got runResult
	select {
	case got = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("the recording did not end after the context ended")
	}
	if got.err != nil {
		t.Fatal(got.err)
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
	sigs := make(chan os.Signal, 1)
	done := runReady(t, context.Background(), "echo ready; exec sleep 30", record.Options{Signals: sigs})
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

// TestArgSpec: the argspec map names, per slot, the registers of the
// arguments record.ArgIndexes names, in each ABI's calling convention.
func TestArgSpec(t *testing.T) {
	var o offsets
	for i := range 6 {
		o.regs64[i] = int32(100 + 8*i)
		o.regs32[i] = int32(200 + 8*i)
	}
	spec := argSpec(o)
	nr := func(a arch.Arch, name string) uint32 {
		n, ok := a.SyscallNumber(name)
		if !ok {
			t.Fatalf("%s has no %s", a, name)
		}
		return n &^ x32SyscallBit
	}
	for _, c := range []struct {
		abi  int
		a    arch.Arch
		name string
		want uint32
	}{
		{abiX86_64, arch.X86_64, "socket", 101 | 109<<16},
		{abiX86_64, arch.X86_64, "clone", 101},
		{abiX86_64, arch.X86_64, "mmap", 117},
		{abiX32, arch.X32, "socket", 101 | 109<<16},
		{abiI386, arch.X86, "socket", 201 | 209<<16}, // the direct call (since Linux 4.3)
		{abiI386, arch.X86, "mmap2", 217},
		{abiI386, arch.X86, "mmap", 0}, // old_mmap: one pointer
		{abiI386, arch.X86, "socketcall", 0},
		{abiX86_64, arch.X86_64, "read", 0},
	} {
		if got := spec[uint32(c.abi)*slots+nr(c.a, c.name)]; got != c.want {
			t.Errorf("%s %s: spec %#x, want %#x", c.a, c.name, got, c.want)
		}
	}
}

// TestDecodeI386: what the sys_enter program leaves in the maps for i386
// (this kernel may not run i386 programs, so the maps are filled here)
// reads as the ptrace engine records it: socketcall and ipc as their
// sub-calls (the multiplexer when the call selects none), and value sets
// of 32-bit calls.
func TestDecodeI386(t *testing.T) {
	needEngine(t)
	e, err := load(config{args: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	cpus, err := cebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	count := func(slot uint32, n uint64) {
		v := make([]uint64, cpus)
		v[0] = n
		if err := e.counts.Update(slot, v, cebpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	mmap2, _ := arch.X86.SyscallNumber("mmap2")
	count(socketBase+3, 2)        // connect
	count(ipcBase+23, 1)          // shmget
	count(abiI386*slots+nrIPC, 1) // ipc with a call beyond the sub-call slots
	count(abiI386*slots+mmap2, 3) // mmap2 with two prot values
	slot := uint32(abiI386*slots + mmap2)
	for _, prot := range []uint64{1, 3} {
		if err := e.values.Update(valueKey{Slot: slot, V: [2]uint64{prot}}, uint32(1), cebpf.UpdateNoExist); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.distinct.Update(slot, uint64(2), cebpf.UpdateAny); err != nil {
		t.Fatal(err)
	}
	rec, err := e.recording()
	if err != nil {
		t.Fatal(err)
	}
	want := record.New(arch.X86_64)
	want.Add(arch.X86, nrSocketcall, &[6]uint64{3}, true)
	want.Add(arch.X86, nrSocketcall, &[6]uint64{3}, true)
	want.Add(arch.X86, nrIPC, &[6]uint64{1<<16 | 23}, true)
	want.Add(arch.X86, nrIPC, &[6]uint64{40}, true)
	want.Add(arch.X86, mmap2, &[6]uint64{0, 0, 1}, true)
	want.Add(arch.X86, mmap2, &[6]uint64{0, 0, 3}, true)
	want.Add(arch.X86, mmap2, &[6]uint64{0, 0, 3}, true)
	if got, want := fmt.Sprint(rec.Calls()), fmt.Sprint(want.Calls()); got != want {
		t.Errorf("decoded %s\nwant    %s", got, want)
	}
}

// TestAtomicOp: the members bitmap's atomic AND and OR reach the kernel
// as such (an immediate of 0 would be an atomic add).
func TestAtomicOp(t *testing.T) {
	for _, c := range []struct {
		op   asm.AtomicOp
		imm  int64
		want byte
	}{{asm.AndAtomic, bpfAnd, 0x50}, {asm.OrAtomic, bpfOr, 0x40}} {
		var b bytes.Buffer
		if _, err := atomicOp(c.op, c.imm).Marshal(&b, binary.LittleEndian); err != nil {
			t.Fatal(err)
		}
		if got := b.Bytes(); got[0] != 0xdb || got[4] != c.want {
			t.Errorf("%v: % x, want opcode db and immediate %#x", c.op, got, c.want)
		}
	}
}

// TestFetchBit runs fetchBit in the kernel (BPF_PROG_TEST_RUN): it sets
// and clears the tgid's bit and returns the bit before, which is how
// exactly one end of a thread group is counted.
func TestFetchBit(t *testing.T) {
	needEngine(t)
	m, err := cebpf.NewMap(&cebpf.MapSpec{Type: cebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i, c := range []struct {
		clear     bool
		old, word uint64
	}{{false, 0, 1 << 5}, {false, 1, 1 << 5}, {true, 1, 0}, {true, 0, 0}} {
		insns := asm.Instructions{asm.StoreImm(asm.RFP, -4, 64+5, asm.Word)} // word 1, bit 5
		insns = append(insns, fetchBit(m.FD(), -4, c.clear)...)
		insns = append(insns, asm.Mov.Reg(asm.R0, asm.R1), asm.Return())
		insns = append(insns, out...)
		p, err := cebpf.NewProgram(&cebpf.ProgramSpec{Type: cebpf.RawTracepoint, License: "GPL", Instructions: insns})
		if err != nil {
			t.Fatal(err)
		}
		old, err := p.Run(&cebpf.RunOptions{Context: make([]byte, 16)})
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		var w uint64
		if err := m.Lookup(uint32(1), &w); err != nil {
			t.Fatal(err)
		}
		if uint64(old) != c.old || w != c.word {
			t.Errorf("step %d (clear %v): bit before %d, word %#x; want %d, %#x", i, c.clear, old, w, c.old, c.word)
		}
	}
}
