//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	cebpf "github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/record"
)

// maxTgids bounds the thread groups of one recorded tree alive at once; a
// fork beyond it is a loss.
var maxTgids uint32 = 65536

// engine is the loaded maps and programs.
type engine struct {
	tgids, counts, stats *cebpf.Map
	progs                []*cebpf.Program // in the order of tracepoints
	links                []link.Link
}

var tracepoints = []string{"sys_enter", "sched_process_fork", "sched_process_exit", "sched_process_exec"}

// Available reports whether the engine can record on this system: nil, or
// an error wrapping ErrNotSupported, ErrPermission or ErrLockdown whose
// text is a one-line reason.
func Available() error {
	e, err := load()
	if err != nil {
		return err
	}
	e.close()
	return nil
}

// initPidNS is the inode of the initial PID namespace (PROC_PID_INIT_INO).
const initPidNS = 0xeffffffc

func load() (_ *engine, err error) {
	// The programs see the host's process ids; a recorder in another PID
	// namespace knows the tree by other ones.
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/pid", &st); err == nil && st.Ino != initPidNS {
		return nil, fmt.Errorf("%w: syscage runs in a PID namespace of its own (the engine follows the host's process ids)", ErrNotSupported)
	}
	off, err := kernelOffsets()
	if err != nil {
		return nil, err
	}
	e := &engine{}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.tgids, err = cebpf.NewMap(&cebpf.MapSpec{Name: "syscage_tgids", Type: cebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: maxTgids}); err != nil {
		return nil, loadError("create the tgid map", err)
	}
	if e.counts, err = cebpf.NewMap(&cebpf.MapSpec{Name: "syscage_counts", Type: cebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: numABI * slots}); err != nil {
		return nil, loadError("create the count map", err)
	}
	if e.stats, err = cebpf.NewMap(&cebpf.MapSpec{Name: "syscage_stats", Type: cebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: numStats}); err != nil {
		return nil, loadError("create the stats map", err)
	}
	p := buildProgs(off, e.tgids.FD(), e.counts.FD(), e.stats.FD())
	for i, insns := range []asm.Instructions{p.sysEnter, p.fork, p.exit, p.exec} {
		prog, err := cebpf.NewProgram(&cebpf.ProgramSpec{
			Name:         "syscage_" + strings.TrimPrefix(tracepoints[i], "sched_"),
			Type:         cebpf.RawTracepoint,
			License:      "GPL", // bpf_probe_read_kernel is GPL-only
			Instructions: insns,
		})
		if err != nil {
			return nil, loadError("load the "+tracepoints[i]+" program", err)
		}
		e.progs = append(e.progs, prog)
	}
	return e, nil
}

// loadError names why the kernel refused: permission, lockdown, or else.
func loadError(what string, err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		if mode := lockdown(); mode == "confidentiality" {
			return fmt.Errorf("%w (lockdown=%s): %s: %v", ErrLockdown, mode, what, err)
		}
		// cilium/ebpf's text suggests RLIMIT_MEMLOCK, which kernels
		// since 5.11 do not charge: the cause is the capability.
		return fmt.Errorf("%w (needs root, or CAP_BPF and CAP_PERFMON): %s: %v", ErrPermission, what, syscall.EPERM)
	}
	if mode := lockdown(); mode == "confidentiality" {
		return fmt.Errorf("%w (lockdown=%s): %s: %v", ErrLockdown, mode, what, firstLine(err))
	}
	return fmt.Errorf("%w: %s: %v", ErrNotSupported, what, firstLine(err))
}

// lockdown returns the kernel's lockdown mode, or "".
func lockdown() string {
	b, err := os.ReadFile("/sys/kernel/security/lockdown")
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return ""
}

// firstLine keeps an error (a verifier log) to one line.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func (e *engine) attach() error {
	for i, p := range e.progs {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: tracepoints[i], Program: p})
		if err != nil {
			return loadError("attach to the raw tracepoint "+tracepoints[i], err)
		}
		e.links = append(e.links, l)
	}
	return nil
}

func (e *engine) close() {
	for _, l := range e.links {
		l.Close()
	}
	for _, p := range e.progs {
		p.Close()
	}
	for _, m := range []*cebpf.Map{e.tgids, e.counts, e.stats} {
		if m != nil {
			m.Close()
		}
	}
}

func (e *engine) stat(i uint32) uint64 {
	var v uint64
	if err := e.stats.Lookup(i, &v); err != nil {
		return 0
	}
	return v
}

// Run starts argv and records what it and every thread, fork, vfork,
// clone and program it executes do, from the execve of argv[0] until the
// last thread group of the tree has ended, as record.Run does with
// ptrace. Options.Args is not supported (ErrNotSupported); Known and
// OnUntraced are ignored (every call is counted; no task leaves the
// trace). Options.Signals go to the program, and once it has ended to
// the processes of the tree left. The program is not stopped on any call.
//
// How: the recording helper (Options.Helper, as for record.Run) is
// started; its process id enters the tgid map as pending before it may
// execute the target, and its calls count from that execve on. Forks of
// the tree join the map in the kernel before the child runs.
func Run(ctx context.Context, argv []string, o record.Options) (*record.Result, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("record: %w: no command", record.ErrNotFound)
	}
	if o.Args {
		return nil, fmt.Errorf("record: %w: the eBPF engine does not record argument values yet (use the ptrace engine)", ErrNotSupported)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EISDIR) {
			return nil, fmt.Errorf("record: %s: %w", argv[0], record.ErrNoExec)
		}
		return nil, fmt.Errorf("record: %s: %w", argv[0], record.ErrNotFound)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("record: %s is a directory: %w", argv[0], record.ErrNoExec)
	}
	helper := o.Helper
	if len(helper) == 0 {
		helper = []string{"/proc/self/exe", os.Args[0], record.HelperCommand}
	}
	if len(helper) < 2 {
		return nil, errors.New("record: Options.Helper needs a path and argv[0]")
	}
	if o.Stop == 0 {
		o.Stop = syscall.SIGTERM
	}
	e, err := load()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer e.close()
	if err := e.attach(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return e.run(ctx, helper, path, argv, o)
}

func (e *engine) run(ctx context.Context, helper []string, path string, argv []string, o record.Options) (*record.Result, error) {
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer statusR.Close()
	gateR, gateW, err := os.Pipe()
	if err != nil {
		statusW.Close()
		return nil, fmt.Errorf("record: %w", err)
	}
	defer gateW.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		statusW.Close()
		gateR.Close()
		return nil, fmt.Errorf("record: %w", err)
	}
	defer null.Close()
	orNull := func(f *os.File) uintptr {
		if f == nil {
			f = null
		}
		return f.Fd()
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	hargv := append(append(append([]string(nil), helper[1:]...), path), argv...)
	pid, err := syscall.ForkExec(helper[0], hargv, &syscall.ProcAttr{
		Dir:   o.Dir,
		Env:   env,
		Files: []uintptr{orNull(o.Stdin), orNull(o.Stdout), orNull(o.Stderr), statusW.Fd(), gateR.Fd()},
	})
	statusW.Close()
	gateR.Close()
	if err != nil {
		return nil, fmt.Errorf("record: start the recording helper %s: %w", helper[0], err)
	}
	// The helper waits for the gate to close; until its execve its
	// calls are not counted.
	if err := e.tgids.Update(uint32(pid), uint32(statePending), cebpf.UpdateNoExist); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_, _ = syscall.Wait4(pid, nil, 0, nil)
		return nil, fmt.Errorf("record: follow the helper: %w", err)
	}
	if err := e.stats.Update(uint32(statLive), uint64(1), cebpf.UpdateAny); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_, _ = syscall.Wait4(pid, nil, 0, nil)
		return nil, fmt.Errorf("record: %w", err)
	}
	_, err = gateW.Write([]byte{record.HelperNoFilter})
	gateW.Close()
	if err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_, _ = syscall.Wait4(pid, nil, 0, nil)
		return nil, fmt.Errorf("record: start the program: %w", err)
	}

	waited := make(chan syscall.WaitStatus, 1)
	go func() {
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
		waited <- ws
	}()
	res := &record.Result{ExitCode: -1}
	var ws syscall.WaitStatus
	done := ctx.Done()
	sent := map[syscall.Signal]bool{}
	// Until the program has ended, signals go to it, as with the ptrace
	// engine; then to every process of the tree left.
	leaderAlive := true
	send := func(sig syscall.Signal) {
		sent[sig] = true
		if leaderAlive {
			_ = syscall.Kill(pid, sig)
			return
		}
		for _, t := range e.members() {
			_ = syscall.Kill(int(t), sig)
		}
	}
	stop := func() {
		done = nil
		for _, t := range e.members() {
			_ = syscall.Kill(int(t), o.Stop)
		}
		sent[o.Stop] = true
	}
wait:
	for {
		select {
		case ws = <-waited:
			break wait
		case <-done:
			stop()
		case s := <-o.Signals:
			if sig, ok := s.(syscall.Signal); ok {
				send(sig)
			}
		}
	}
	leaderAlive = false
	msg, _ := io.ReadAll(statusR)
	if reason := strings.TrimSpace(string(msg)); reason != "" {
		return nil, fmt.Errorf("record: %s", reason)
	}
	switch {
	case ws.Exited():
		res.ExitCode = ws.ExitStatus()
	case ws.Signaled():
		res.Signal = ws.Signal()
	}
	// A helper that ended before it entered the map (killed at once)
	// was never seen to end.
	var ended uint64
	if err := e.tgids.Delete(uint32(pid)); err == nil {
		ended = 1
	}
	// The rest of the tree: wait until the kernel has seen its last
	// thread group end.
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for e.stat(statLive) > ended {
		select {
		case <-tick.C:
		case <-done:
			stop()
		case s := <-o.Signals:
			if sig, ok := s.(syscall.Signal); ok {
				send(sig)
			}
		}
	}
	rec, err := e.recording()
	if err != nil {
		return nil, err
	}
	if res.Signal != 0 && unix.CoreSignal(res.Signal) && !sent[res.Signal] {
		rec.Partial = true
		rec.Reason = strings.TrimPrefix(rec.Reason+"; ", "; ") + "the program was killed by " + unix.SignalString(res.Signal)
	}
	res.Recording = rec
	return res, nil
}

// members returns the thread groups of the tree.
func (e *engine) members() []uint32 {
	var out []uint32
	var k, v uint32
	it := e.tgids.Iterate()
	for it.Next(&k, &v) {
		out = append(out, k)
	}
	return out
}

// abis are the ABIs of the counts map, in its order.
var abis = [numABI]arch.Arch{abiX86_64: arch.X86_64, abiI386: arch.X86, abiX32: arch.X32}

// recording reads the counts (without clearing them) and the losses.
func (e *engine) recording() (*record.Recording, error) {
	rec := record.New(arch.X86_64)
	var perCPU []uint64
	for a := range numABI {
		for nr := range uint32(slots) {
			if err := e.counts.Lookup(uint32(a*slots)+nr, &perCPU); err != nil {
				return nil, fmt.Errorf("record: read the counts: %w", err)
			}
			var n uint64
			for _, c := range perCPU {
				n += c
			}
			if n == 0 {
				continue
			}
			if nr == beyond {
				rec.Unknown = append(rec.Unknown, fmt.Sprintf("%s:>%d", abis[a], beyond-1))
				continue
			}
			if abis[a] == arch.X32 {
				nr |= x32SyscallBit
			}
			rec.AddCount(abis[a], nr, n)
		}
	}
	var loss []string
	if n := e.stat(statLostFork); n > 0 {
		loss = append(loss, fmt.Sprintf("%d forks were not followed (more than %d processes at once)", n, maxTgids))
	}
	if n := e.stat(statReadErr); n > 0 {
		loss = append(loss, fmt.Sprintf("%d kernel reads failed", n))
	}
	for i, p := range e.progs {
		if st, err := p.Stats(); err == nil && st.RecursionMisses > 0 {
			loss = append(loss, fmt.Sprintf("the kernel skipped the %s program %d times", tracepoints[i], st.RecursionMisses))
		}
	}
	if len(loss) > 0 {
		rec.Partial = true
		rec.Reason = "calls may be missing: " + strings.Join(loss, ", ")
	}
	return rec, nil
}
