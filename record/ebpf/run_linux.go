//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"

	cebpf "github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/record"
)

// engine is the loaded maps and programs.
type engine struct {
	cfg                                    config
	counts, stats                          *cebpf.Map
	argspec, distinct, values, cgroupArray *cebpf.Map
	memberMap, pending, ring, scratch      *cebpf.Map
	// bits is the members map, mapped into this process: Run sets
	// and clears bits with atomic operations, as the programs do.
	bits  []uint64
	mem   []byte
	progs []*cebpf.Program
	// tps are where progs run, in their order: a raw tracepoint, or
	// hookFentry and a function.
	tps []string
	// hook says where the sys_enter programs run (see Hook).
	hook  string
	links []link.Link
}

// config is what the programs record.
type config struct {
	mode int  // byTgid or byCgroup
	args bool // record.Options.Args
	// cgroup is an open cgroup v2 directory (byCgroup).
	cgroup *os.File
	// noFentry, when not nil, says why the engine counts with the raw
	// tracepoint on a kernel that takes fentry programs.
	noFentry error
}

var tracepoints = []string{"sys_enter", "sched_process_fork", "sched_process_exit", "sched_process_exec"}

// Available reports whether the engine can record on this system: nil, or
// an error wrapping ErrNotSupported, ErrPermission or ErrLockdown whose
// text is a one-line reason.
func Available() error {
	e, err := load(config{})
	if err != nil {
		return err
	}
	e.close()
	return nil
}

// start loads the engine with c and attaches its programs; errors begin
// with what (the command: "record").
func start(c config, what string) (*engine, error) {
	e, err := load(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := e.attach(); err != nil {
		fentry := strings.HasPrefix(e.tps[0], hookFentry)
		e.close()
		if !fentry {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		// The kernel loaded the fentry programs but does not attach
		// them (a function ftrace cannot patch): the tracepoint.
		c.noFentry = err
		return start(c, what)
	}
	return e, nil
}

// initPidNS is the inode of the initial PID namespace (PROC_PID_INIT_INO).
const initPidNS = 0xeffffffc

func load(cfg config) (_ *engine, err error) {
	// The programs see the host's process ids; a recorder in another PID
	// namespace knows the tree by other ones.
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/pid", &st); err == nil && st.Ino != initPidNS && cfg.mode == byTgid {
		return nil, fmt.Errorf("eBPF recording %w: syscage runs in a PID namespace of its own (the engine follows the host's process ids)", ErrNotSupported)
	}
	off, err := kernelOffsets()
	if err != nil {
		return nil, err
	}
	// The sys_enter program loads the task's fields at their offsets
	// directly (a 16-bit displacement).
	if off.tgid > math.MaxInt16 || off.pid > math.MaxInt16 || off.status > math.MaxInt16 {
		return nil, fmt.Errorf("eBPF recording %w: task_struct.tgid (%d), pid (%d) or thread_info.status (%d) lies beyond a load's reach", ErrNotSupported, off.tgid, off.pid, off.status)
	}
	e := &engine{cfg: cfg}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	newMap := func(what string, m **cebpf.Map, spec *cebpf.MapSpec) error {
		var err error
		if *m, err = cebpf.NewMap(spec); err != nil {
			return loadError("create the "+what+" map", err)
		}
		return nil
	}
	if err := newMap("count", &e.counts, &cebpf.MapSpec{Name: "syscage_counts", Type: cebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: numSlots}); err != nil {
		return nil, err
	}
	if err := newMap("stats", &e.stats, &cebpf.MapSpec{Name: "syscage_stats", Type: cebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: numStats}); err != nil {
		return nil, err
	}
	m := fds{counts: e.counts.FD(), stats: e.stats.FD()}
	if cfg.mode == byTgid {
		if err := newMap("members", &e.memberMap, &cebpf.MapSpec{Name: "syscage_members", Type: cebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: memberWords, Flags: bpfFMmapable}); err != nil {
			return nil, err
		}
		if err := newMap("pending", &e.pending, &cebpf.MapSpec{Name: "syscage_pending", Type: cebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}); err != nil {
			return nil, err
		}
		if e.mem, e.bits, err = mapWords(e.memberMap.FD(), memberWords); err != nil {
			return nil, fmt.Errorf("eBPF recording %w: map the members bitmap: %v", ErrNotSupported, err)
		}
		if err := newMap("ring", &e.ring, &cebpf.MapSpec{Name: "syscage_ring", Type: cebpf.RingBuf, MaxEntries: uint32(os.Getpagesize())}); err != nil {
			return nil, err
		}
		m.members, m.pending, m.ring = e.memberMap.FD(), e.pending.FD(), e.ring.FD()
	}
	if cfg.args {
		spec := argSpec(off)
		if err := newMap("argspec", &e.argspec, &cebpf.MapSpec{Name: "syscage_argspec", Type: cebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: numSlots}); err != nil {
			return nil, err
		}
		for k, v := range spec {
			if err := e.argspec.Update(k, v, cebpf.UpdateAny); err != nil {
				return nil, fmt.Errorf("fill the argspec map: %w", err)
			}
		}
		if err := newMap("distinct", &e.distinct, &cebpf.MapSpec{Name: "syscage_distinct", Type: cebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: numSlots}); err != nil {
			return nil, err
		}
		n, err := valuesSize(len(spec))
		if err != nil {
			return nil, err
		}
		if err := newMap("values", &e.values, &cebpf.MapSpec{Name: "syscage_values", Type: cebpf.Hash, KeySize: 24, ValueSize: 4, MaxEntries: n}); err != nil {
			return nil, err
		}
		m.argspec, m.distinct, m.values = e.argspec.FD(), e.distinct.FD(), e.values.FD()
	}
	if cfg.mode == byCgroup {
		if err := newMap("cgroup", &e.cgroupArray, &cebpf.MapSpec{Name: "syscage_cgroup", Type: cebpf.CGroupArray, KeySize: 4, ValueSize: 4, MaxEntries: 1}); err != nil {
			return nil, err
		}
		if err := e.cgroupArray.Update(uint32(0), uint32(cfg.cgroup.Fd()), cebpf.UpdateAny); err != nil {
			return nil, fmt.Errorf("%s is not a cgroup v2 directory: %w", cfg.cgroup.Name(), err)
		}
		m.cgroup = e.cgroupArray.FD()
	}
	var cgroupID uint64
	if cfg.mode == byCgroup {
		if off.cgroupErr != nil {
			return nil, off.cgroupErr
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(int(cfg.cgroup.Fd()), &st); err != nil {
			return nil, fmt.Errorf("cgroup %s: %w", cfg.cgroup.Name(), err)
		}
		cgroupID = st.Ino // kernfs_node.id: the inode number on the cgroup2 file system
	}
	if err := e.loadSysEnter(off, m); err != nil {
		return nil, err
	}
	p := buildProgs(off, cfg.mode, cfg.args, m, cgroupID)
	all := []asm.Instructions{p.fork, p.exit, p.exec}
	tps := tracepoints[1:]
	if cfg.mode == byCgroup {
		// The cgroup, not the tree, says which tasks.
		all = []asm.Instructions{p.cgroupExit, p.cgroupAttach}
		tps = []string{"sched_process_exit", "cgroup_attach_task"}
	}
	for i, insns := range all {
		prog, err := cebpf.NewProgram(&cebpf.ProgramSpec{
			Name:         "syscage_" + strings.TrimPrefix(tps[i], "sched_"),
			Type:         cebpf.RawTracepoint,
			License:      "GPL", // bpf_probe_read_kernel is GPL-only
			Instructions: insns,
		})
		if err != nil {
			return nil, loadError("load the "+tps[i]+" program", err)
		}
		e.progs = append(e.progs, prog)
		e.tps = append(e.tps, tps[i])
	}
	return e, nil
}

// loadSysEnter loads the programs that count the calls: fentry ones
// where the kernel lets them attach (see Hook), else the raw
// tracepoint's. m.scratch is set here.
func (e *engine) loadSysEnter(off offsets, m fds) error {
	targets, why := fentryTargets()
	if useTracepoint {
		targets, why = nil, errors.New("not chosen")
	}
	if asTracepoint != nil {
		targets, why = asTracepoint, nil
	}
	if e.cfg.noFentry != nil {
		targets, why = nil, e.cfg.noFentry
	}
	if targets != nil {
		err := func() error {
			var err error
			if e.scratch, err = cebpf.NewMap(&cebpf.MapSpec{Name: "syscage_scratch", Type: cebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}); err != nil {
				return loadError("create the scratch map", err)
			}
			m.scratch = e.scratch.FD()
			for _, t := range targets {
				spec, tp := fentrySpec(t.fn, sysEnter(off, e.cfg.mode, e.cfg.args, m, t.src)), hookFentry+t.fn
				if asTracepoint != nil {
					spec.Type, spec.AttachType, spec.AttachTo = cebpf.RawTracepoint, 0, ""
					if !asFentryLinks {
						tp = "sys_enter"
					}
				}
				prog, err := cebpf.NewProgram(spec)
				if err != nil {
					return fentryError("load", t.fn, err)
				}
				e.progs = append(e.progs, prog)
				e.tps = append(e.tps, tp)
			}
			return nil
		}()
		if err == nil {
			e.hook = Hook()
			return nil
		}
		// A kernel that took the probe's programs and refuses these
		// (a verifier of its own): the tracepoint records alike.
		for _, p := range e.progs {
			p.Close()
		}
		e.progs, e.tps, why = nil, nil, err
	}
	e.hook = "the raw tracepoint sys_enter (fentry: " + why.Error() + ")"
	m.scratch = 0
	prog, err := cebpf.NewProgram(&cebpf.ProgramSpec{
		Name:         "syscage_sys_enter",
		Type:         cebpf.RawTracepoint,
		License:      "GPL", // bpf_probe_read_kernel is GPL-only
		Instructions: sysEnter(off, e.cfg.mode, e.cfg.args, m, srcTracepoint),
	})
	if err != nil {
		return loadError("load the sys_enter program", err)
	}
	e.progs = append(e.progs, prog)
	e.tps = append(e.tps, "sys_enter")
	return nil
}

// valuesLimit, when not 0, is the size of the values map (tests make it
// too small).
var valuesLimit uint32

// valuesSize is the size of the values map for calls slots with checked
// arguments: each keeps at most record.MaxValues+1 distinct values (the
// last says "more"), plus one per CPU that may add one at the same time.
func valuesSize(calls int) (uint32, error) {
	if valuesLimit != 0 {
		return valuesLimit, nil
	}
	cpus, err := cebpf.PossibleCPU()
	if err != nil {
		return 0, fmt.Errorf("count the CPUs: %w", err)
	}
	return uint32(calls * (record.MaxValues + 1 + cpus)), nil
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
	return fmt.Errorf("eBPF recording %w: %s: %v", ErrNotSupported, what, firstLine(err))
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
		if fn, ok := strings.CutPrefix(e.tps[i], hookFentry); ok {
			l, err := link.AttachTracing(link.TracingOptions{Program: p})
			if err != nil {
				return fentryError("attach", fn, err)
			}
			e.links = append(e.links, l)
			continue
		}
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: e.tps[i], Program: p})
		if err != nil {
			return loadError("attach to the raw tracepoint "+e.tps[i], err)
		}
		e.links = append(e.links, l)
	}
	return nil
}

// detach undoes attach.
func (e *engine) detach() {
	for _, l := range e.links {
		l.Close()
	}
	e.links = nil
}

func (e *engine) close() {
	e.detach()
	for _, p := range e.progs {
		p.Close()
	}
	if e.mem != nil {
		unmapWords(e.mem)
		e.mem, e.bits = nil, nil
	}
	for _, m := range []*cebpf.Map{e.counts, e.stats, e.argspec, e.distinct, e.values, e.cgroupArray, e.memberMap, e.pending, e.ring, e.scratch} {
		if m != nil {
			m.Close()
		}
	}
}

// enter makes thread group tgid a member: its calls count, and so do
// those of the processes it starts. It reports whether tgid was not one
// already.
func (e *engine) enter(tgid uint32) bool {
	bit := uint64(1) << (tgid % 64)
	return atomic.OrUint64(&e.bits[tgid/64], bit)&bit == 0
}

// leave takes thread group tgid out of the tree, unless the kernel has
// done so (it saw the group end): it reports whether it did.
func (e *engine) leave(tgid uint32) bool {
	bit := uint64(1) << (tgid % 64)
	return atomic.AndUint64(&e.bits[tgid/64], ^bit)&bit != 0
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
// ptrace; with Options.Args it keeps the same argument values
// (record.ArgIndexes, at most record.MaxValues per call). Known and
// OnUntraced are ignored (every call is counted; no task leaves the
// trace). Options.Signals go to the program, and once it has ended to
// the processes of the tree left. The program is not stopped on any call.
//
// How: the recording helper (Options.Helper, as for record.Run) is
// started; its process id is the pending one before it may
// execute the target, and its calls count from that execve on. Forks of
// the tree join the map in the kernel before the child runs.
func Run(ctx context.Context, argv []string, o record.Options) (*record.Result, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("record: %w: no command", record.ErrNotFound)
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
	helper, hargv, err := o.HelperArgv(path, argv)
	if err != nil {
		return nil, err
	}
	if o.Stop == 0 {
		o.Stop = syscall.SIGTERM
	}
	e, err := start(config{args: o.Args}, "record")
	if err != nil {
		return nil, err
	}
	defer e.close()
	return e.run(ctx, helper, hargv, o)
}

func (e *engine) run(ctx context.Context, helper string, hargv []string, o record.Options) (*record.Result, error) {
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
	stdio, env, null, err := o.Stdio()
	if err != nil {
		statusW.Close()
		gateR.Close()
		return nil, fmt.Errorf("record: %w", err)
	}
	defer null.Close()
	// The program dies with the recorder: the helper is started with the
	// parent-death signal SIGKILL (which it keeps across its execve of
	// the program, and which the child sends itself if the recorder died
	// before it was set). The kernel sends it when the thread that forked
	// ends, not the process, so the fork happens on a thread locked until
	// the helper has been waited for, when its goroutine ends and takes
	// the thread with it.
	type started struct {
		pid int
		err error
	}
	start := make(chan started, 1)
	waited := make(chan syscall.WaitStatus, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		pid, err := syscall.ForkExec(helper, hargv, &syscall.ProcAttr{
			Dir:   o.Dir,
			Env:   env,
			Files: append(stdio, statusW.Fd(), gateR.Fd()),
			Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
		})
		start <- started{pid, err}
		if err != nil {
			return
		}
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
		waited <- ws
	}()
	st := <-start
	pid, err := st.pid, st.err
	statusW.Close()
	gateR.Close()
	if err != nil {
		return nil, fmt.Errorf("record: start the recording helper %s: %w", helper, err)
	}
	// The helper waits for the gate to close; until its execve its
	// calls are not counted.
	if err := e.pending.Update(uint32(0), [2]uint32{uint32(pid), statePending}, cebpf.UpdateAny); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-waited
		return nil, fmt.Errorf("record: follow the helper: %w", err)
	}
	_, err = gateW.Write([]byte{record.HelperNoFilter})
	gateW.Close()
	if err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-waited
		return nil, fmt.Errorf("record: start the program: %w", err)
	}

	rd, err := ringbuf.NewReader(e.ring)
	if err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-waited
		return nil, fmt.Errorf("record: read the ring buffer: %w", err)
	}
	defer rd.Close() // ends the goroutine
	ended := make(chan struct{}, 1)
	go func() {
		for {
			if _, err := rd.Read(); err != nil {
				return
			}
			select {
			case ended <- struct{}{}:
			default: // a wake-up is pending
			}
		}
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
		if leaderAlive {
			_ = syscall.Kill(pid, o.Stop) // a member once it has executed the target
		}
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
	// The rest of the tree: wait until the kernel has seen its last
	// thread group end. Its exit program writes to the ring at each
	// end of a member, which wakes this loop to read the count.
	for int64(e.stat(statLive)) > 0 {
		select {
		case <-ended:
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
	res.Hook = e.hook
	return res, nil
}

// members returns the thread groups of the tree.
func (e *engine) members() []uint32 {
	var out []uint32
	for i := range e.bits {
		w := atomic.LoadUint64(&e.bits[i])
		for w != 0 {
			b := uint32(bits.TrailingZeros64(w))
			out = append(out, uint32(i)*64+b)
			w &^= 1 << b
		}
	}
	return out
}

// abis are the ABIs of the counts map, in its order.
var abis = [numABI]arch.Arch{abiX86_64: arch.X86_64, abiI386: arch.X86, abiX32: arch.X32}

// recording reads the counts and values (without clearing them) and the
// losses.
func (e *engine) recording() (*record.Recording, error) {
	rec := record.New(arch.X86_64)
	lostValues := e.stat(statLostValue)
	// The values seen per slot, and how many distinct ones each slot has.
	vals := map[uint32][][]uint64{}
	nargs := map[uint32]int{}
	if e.values != nil {
		var k valueKey
		var one uint32
		it := e.values.Iterate()
		for it.Next(&k, &one) {
			n, ok := nargs[k.Slot]
			if !ok {
				var spec uint32
				if err := e.argspec.Lookup(k.Slot, &spec); err != nil {
					return nil, fmt.Errorf("record: read the argument specs: %w", err)
				}
				n = 1
				if spec>>16 != 0 {
					n = 2
				}
				nargs[k.Slot] = n
			}
			vals[k.Slot] = append(vals[k.Slot], []uint64{k.V[0], k.V[1]}[:n])
		}
		if err := it.Err(); err != nil {
			return nil, fmt.Errorf("record: read the argument values: %w", err)
		}
	}
	var perCPU []uint64
	for slot := range uint32(numSlots) {
		if err := e.counts.Lookup(slot, &perCPU); err != nil {
			return nil, fmt.Errorf("record: read the counts: %w", err)
		}
		var n uint64
		for _, c := range perCPU {
			n += c
		}
		if n == 0 {
			continue
		}
		switch {
		case slot >= ipcBase:
			rec.AddSubcall(arch.X86, "ipc", slot-ipcBase, n)
			continue
		case slot >= socketBase:
			rec.AddSubcall(arch.X86, "socketcall", slot-socketBase, n)
			continue
		}
		a, nr := slot/slots, slot%slots
		if nr == beyond {
			rec.Unknown = append(rec.Unknown, fmt.Sprintf("%s:>%d", abis[a], beyond-1))
			continue
		}
		if abis[a] == arch.X32 {
			nr |= x32SyscallBit
		}
		if e.argspec == nil {
			rec.AddCount(abis[a], nr, n)
			continue
		}
		var spec uint32
		if err := e.argspec.Lookup(slot, &spec); err != nil {
			return nil, fmt.Errorf("record: read the argument specs: %w", err)
		}
		if spec == 0 {
			rec.AddCount(abis[a], nr, n)
			continue
		}
		var distinct uint64
		if err := e.distinct.Lookup(slot, &distinct); err != nil {
			return nil, fmt.Errorf("record: read the argument values: %w", err)
		}
		// Values not kept (a full map) might be any call's: every call
		// then allows any value.
		many := distinct > record.MaxValues || lostValues > 0
		rec.AddValues(abis[a], nr, n, vals[slot], many)
	}
	lost, reason := e.losses()
	for _, l := range lost {
		rec.AddLoss(l.What, l.Count)
	}
	if reason != "" {
		rec.Partial = true
		rec.Reason = reason
	}
	return rec, nil
}
