package seccomp

import (
	"encoding/binary"
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// Gate decides system calls in software, as the kernel would decide them
// under the filter Compile builds from the same profile: for programs
// that route their own calls (a service gating a plugin's requests, a
// WebAssembly host answering its guest's WASI calls, a unikernel) and
// want the policy a seccomp profile states without a kernel filter.
//
// NewGate compiles the profile and precomputes a table indexed by
// system-call number: where the filter's verdict for a number reads
// nothing but the number and the ABI (every call a profile allows,
// denies or kills without argument conditions) the table holds the
// verdict, and Decide is one bounds check and one load. Where it reads
// the arguments, the table holds the point of the program at which the
// filter first does, found by running the program with the number and
// ABI known, and Decide runs only the rest: the argument checks of that
// call. The verdict is the filter's, bit for bit; TestGate checks it
// against Filter.Eval on every number and on each condition's boundary
// values.
//
// A Gate is immutable and safe for concurrent use.
type Gate struct {
	abi   arch.Arch
	order binary.ByteOrder
	full  *bpf.VM // the whole filter, for numbers beyond the table
	base  uint32  // the number of table[0]: the ABI's lowest (x32's have 0x40000000 set, mips's start at 4000)
	table []gateEntry
	// Const is the number of table entries decided without arguments.
	consts int
}

// gateEntry is the decision of one system-call number: ret when vm is
// nil, else the rest of the filter to run on the arguments.
type gateEntry struct {
	ret uint32
	vm  *bpf.VM
}

// NewGate compiles p for calls of ABI abi (the native ABI of the filter,
// as host in Compile) with o, and precomputes its table.
func NewGate(p *profile.Profile, abi arch.Arch, o Options) (*Gate, error) {
	f, err := Compile(p, abi, o)
	if err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	return newGate(f, abi)
}

// NewGateFilter precomputes the table of a compiled filter for calls of
// ABI abi.
func NewGateFilter(f *Filter, abi arch.Arch) (*Gate, error) { return newGate(f, abi) }

func newGate(f *Filter, abi arch.Arch) (*Gate, error) {
	g := &Gate{abi: abi, order: abi.ByteOrder(), full: bpf.NewVM(abi.ByteOrder())}
	if err := g.full.Load(f.Program); err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	if calls := abi.Syscalls(); len(calls) > 0 {
		g.base = calls[0].Nr
	}
	n := abi.MaxSyscall() + 1 - g.base
	g.table = make([]gateEntry, n)
	vms := map[int]*bpf.VM{} // by entry point: numbers share the rest
	for i := range n {
		nr := g.base + i
		ret, pc, ok := partialEval(f.Program, abi.Audit(), nr)
		if ok {
			g.table[i] = gateEntry{ret: ret}
			g.consts++
			continue
		}
		vm, seen := vms[pc]
		if !seen {
			vm = bpf.NewVM(g.order)
			if err := vm.Load(f.Program[pc:]); err != nil {
				// A rest that is not a program of its own (a jump
				// back is impossible in BPF; this is a bug): run the
				// whole filter.
				vm = g.full
			}
			vms[pc] = vm
		}
		g.table[i] = gateEntry{vm: vm}
	}
	return g, nil
}

// partialEval runs program p with only the number nr and the ABI audit
// known, as the kernel's action cache emulation does, but for any
// verdict: it returns the verdict when every instruction up to a return
// reads nothing else (ok), or else the index of the first instruction
// that loads anything else (the arguments, the instruction pointer), from
// which the rest of the program runs as a program of its own (the
// accumulator it had is overwritten by that load). Any other unknown
// (the X register, scratch memory, arithmetic other than and) gives
// entry point 0: the whole filter.
func partialEval(p bpf.Program, audit, nr uint32) (ret uint32, pc int, ok bool) {
	var a uint32
	for pc < len(p) {
		ins := p[pc]
		switch ins.Op {
		case bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS:
			switch ins.K {
			case OffsetNr:
				a = nr
			case OffsetArch:
				a = audit
			default:
				return 0, pc, false
			}
			pc++
		case bpf.BPF_RET | bpf.BPF_K:
			return ins.K, pc, true
		case bpf.BPF_JMP | bpf.BPF_JA:
			pc += int(ins.K) + 1
		case bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, bpf.BPF_JMP | bpf.BPF_JGE | bpf.BPF_K,
			bpf.BPF_JMP | bpf.BPF_JGT | bpf.BPF_K, bpf.BPF_JMP | bpf.BPF_JSET | bpf.BPF_K:
			var t bool
			switch ins.Op & 0xf0 {
			case bpf.BPF_JEQ:
				t = a == ins.K
			case bpf.BPF_JGE:
				t = a >= ins.K
			case bpf.BPF_JGT:
				t = a > ins.K
			case bpf.BPF_JSET:
				t = a&ins.K != 0
			}
			if t {
				pc += int(ins.Jt) + 1
			} else {
				pc += int(ins.Jf) + 1
			}
		case bpf.BPF_ALU | bpf.BPF_AND | bpf.BPF_K:
			a &= ins.K
			pc++
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// ABI is the ABI whose calls the gate decides.
func (g *Gate) ABI() arch.Arch { return g.abi }

// Constant reports how many system-call numbers of the table are decided
// without looking at arguments, and how many numbers the table has.
func (g *Gate) Constant() (constant, total int) { return g.consts, len(g.table) }

// Decide returns the filter's SECCOMP_RET_* value for system call nr of
// the gate's ABI with args, the instruction pointer 0 (a filter that
// reads it decides as for a call from address 0).
func (g *Gate) Decide(nr uint32, args *[6]uint64) uint32 {
	if i := nr - g.base; nr >= g.base && i < uint32(len(g.table)) {
		e := &g.table[i]
		if e.vm == nil {
			return e.ret
		}
		return g.run(e.vm, nr, args)
	}
	return g.run(g.full, nr, args)
}

// run runs vm on the call's seccomp_data.
func (g *Gate) run(vm *bpf.VM, nr uint32, args *[6]uint64) uint32 {
	var d [bpf.SeccompDataSize]byte
	g.order.PutUint32(d[bpf.OffsetNr:], nr)
	g.order.PutUint32(d[bpf.OffsetArch:], g.abi.Audit())
	if args != nil {
		for i, v := range args {
			// The kernel lays each argument out as a 64-bit value in
			// the target's order.
			g.order.PutUint64(d[bpf.OffsetArgs+8*i:], v)
		}
	}
	ret, _, err := vm.Exec(d[:])
	if err != nil {
		// Only a program Load accepted runs: the kernel's verdict for a
		// filter it cannot run is to kill.
		return SECCOMP_RET_KILL_PROCESS
	}
	return ret
}

// Action is Decide as a profile.Action (ALLOW, ERRNO(n), KILL_PROCESS, ...).
func (g *Gate) Action(nr uint32, args *[6]uint64) profile.Action {
	return ActionOf(g.Decide(nr, args))
}

// DecideName is Action for the system call called name on the gate's
// ABI; an unknown name is an error wrapping ErrUnknownSyscall.
func (g *Gate) DecideName(name string, args ...uint64) (profile.Action, error) {
	nr, ok := g.abi.SyscallNumber(name)
	if !ok {
		return profile.Action{}, fmt.Errorf("gate: %s on %s: %w", name, g.abi, profile.ErrUnknownSyscall)
	}
	var a [6]uint64
	copy(a[:], args)
	return g.Action(nr, &a), nil
}
