//go:build linux && amd64

package ebpf

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"

	cebpf "github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// Where the engine counts calls.
//
// A raw tracepoint on sys_enter is on every kernel, but attaching any
// sys_enter tracepoint sets SYSCALL_WORK_SYSCALL_TRACEPOINT on every
// task of the host: each call of every process then takes the kernel's
// slow entry path (syscall_trace_enter, the tracepoint's dispatch into
// BPF, syscall_exit_work), which costs more than the program itself.
// Since Linux 6.9 the x86 kernel dispatches a call through
// x64_sys_call, ia32_sys_call and x32_sys_call (with x32 support): an
// fentry program on them (a BPF trampoline) runs on the fast path and
// learns the ABI from the function. Numbers in no table reach
// sys_ni_syscall instead, which gets a program too. Where the
// kernel has these functions in its BTF and lets fentry programs attach
// to them, the engine uses them, else the tracepoint.

// hookTarget is a function the sys_enter program attaches to (fentry),
// and so where it finds the call (src).
type hookTarget struct {
	fn  string
	src int
}

// fentryTargets returns the functions the engine attaches its fentry
// programs to, once per process, or why it cannot: each must be in the
// kernel's BTF and the kernel must load a trivial fentry program on it.
// The probe does not attach them (detaching a trampoline waits for an
// RCU grace period): a kernel that loads but does not attach them makes
// start fall back to the tracepoint.
var fentryTargets = sync.OnceValues(probeFentry)

func probeFentry() ([]hookTarget, error) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return nil, fmt.Errorf("read the kernel's BTF: %v", err)
	}
	has := func(name string) bool {
		var f *btf.Func
		return spec.TypeByName(name, &f) == nil
	}
	if !has("x64_sys_call") {
		return nil, errors.New("the kernel has no x64_sys_call in its BTF (Linux 6.9 or later dispatches through it)")
	}
	if !has("sys_ni_syscall") {
		return nil, errors.New("the kernel has no sys_ni_syscall in its BTF")
	}
	targets := []hookTarget{{"x64_sys_call", srcX64}, {"sys_ni_syscall", srcNI}}
	if has("x32_sys_call") {
		targets = append(targets, hookTarget{"x32_sys_call", srcX32})
	}
	if has("ia32_sys_call") {
		targets = append(targets, hookTarget{"ia32_sys_call", srcIA32})
	}
	for _, t := range targets {
		p, err := cebpf.NewProgram(fentrySpec(t.fn, asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}))
		if err != nil {
			return nil, fentryError("load", t.fn, err)
		}
		p.Close()
	}
	return targets, nil
}

// fentrySpec is an fentry program on the kernel function fn.
func fentrySpec(fn string, insns asm.Instructions) *cebpf.ProgramSpec {
	return &cebpf.ProgramSpec{
		Name:         "syscage_" + strings.TrimLeft(fn, "_"),
		Type:         cebpf.Tracing,
		AttachType:   cebpf.AttachTraceFEntry,
		AttachTo:     fn,
		License:      "GPL",
		Instructions: insns,
	}
}

// fentryError says why an fentry program on fn could not be loaded or
// attached, in one line.
func fentryError(what, fn string, err error) error {
	if errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("the kernel refuses to %s an fentry program on %s (operation not permitted: a security policy, or lockdown)", what, fn)
	}
	return fmt.Errorf("%s an fentry program on %s: %s", what, fn, firstLine(err))
}

// hookFentry prefixes the function of an fentry program in engine.tps.
const hookFentry = "fentry:"

// hookName is how a recording's loss counters name where a program runs.
func hookName(tp string) string {
	if fn, ok := strings.CutPrefix(tp, hookFentry); ok {
		return "fentry " + fn
	}
	return tp
}

// useTracepoint, when true, makes the engine count calls with the raw
// tracepoint even where fentry works (tests and benchmarks compare the
// two).
var useTracepoint bool

// asTracepoint, when not nil, are fentry programs the engine loads as
// raw tracepoint programs on sys_enter instead, in their order (tests:
// a kernel that refuses fentry checks their logic there, where their
// context is alike: the registers, then the number).
var asTracepoint []hookTarget

// asFentryLinks, with asTracepoint, makes the engine attach those
// programs as fentry ones, which fails (tests: a kernel that loads
// fentry programs but does not attach them).
var asFentryLinks bool

// Hook says where the engine counts system calls on this kernel: fentry
// programs on the kernel's system-call dispatchers, or the raw
// tracepoint sys_enter and why not fentry. It loads nothing but a probe
// (a recording's Result.Hook says where it counted, which is the
// tracepoint too when the kernel loads fentry programs but does not
// attach them).
func Hook() string {
	targets, err := fentryTargets()
	if err != nil {
		return "the raw tracepoint sys_enter (fentry: " + err.Error() + ")"
	}
	var fns []string
	for _, t := range targets {
		fns = append(fns, t.fn)
	}
	return "fentry on " + strings.Join(fns, ", ")
}
