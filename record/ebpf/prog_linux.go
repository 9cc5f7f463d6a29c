//go:build linux && amd64

package ebpf

import (
	"fmt"

	"github.com/cilium/ebpf/asm"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
)

// The ABIs the sys_enter program tells apart, as indexes of the counts
// map: abi*slots+nr, with the last slot of each ABI for numbers beyond.
// After them come the sub-calls of i386's socketcall and ipc:
// socketBase+call and ipcBase+call, for calls below subSlots (a call
// beyond counts as the multiplexer itself).
const (
	abiX86_64 = iota
	abiI386
	abiX32
	numABI

	slots  = 1025 // numbers 0..1023, then one for any number beyond
	beyond = slots - 1

	subSlots   = 32
	socketBase = numABI * slots
	ipcBase    = socketBase + subSlots
	numSlots   = ipcBase + subSlots
)

// Kernel constants of x86_64 (arch/x86/include/asm).
const (
	tsCompat      = 0x0002     // TS_COMPAT in thread_info.status
	x32SyscallBit = 0x40000000 // __X32_SYSCALL_BIT
	nrExecve      = 59
	nrExecveat    = 322
	nrSocketcall  = 102 // i386
	nrIPC         = 117 // i386
	eexist        = 17
)

// Indexes of the stats map.
const (
	statLive      = iota // members the kernel saw start less those it saw end (Run keeps the count of those it added)
	statReadErr          // kernel fields or arguments that could not be read
	statLostValue        // argument values not kept: the values map was full
	statSeen             // byCgroup: 1 once a task of the cgroup made a call or ended in it
	numStats
)

// States of the helper, in the pending map (its tgid, then its state).
const (
	statePending = 0 // only its execve of the target counts
	stateExecing = 2 // its execve runs: its other threads do not count
	stateLive    = 1 // it has executed the target: a member
)

// The members bitmap has a bit for every possible thread group id
// (PID_MAX_LIMIT on 64-bit kernels), 64 to a word.
const (
	pidMaxLimit = 4 << 20
	memberWords = pidMaxLimit / 64
)

// Which tasks the sys_enter program records.
const (
	byTgid   = iota // the thread groups of the tgid map
	byCgroup        // the tasks of the cgroup in slot 0 of the cgroup map, and of its descendants
)

// fds are the descriptors of the maps the programs use; a map a
// configuration does not use is 0.
type fds struct {
	counts, stats int
	// members: the bitmap of the thread groups whose calls count
	// (byTgid), the tree; pending: the helper's tgid and state.
	members, pending int
	// argspec (with --args): per slot, where its checked arguments are
	// in pt_regs (see argSpec); distinct: per slot, the values kept;
	// values: the set of (slot, values) seen.
	argspec, distinct, values int
	cgroup                    int
	// scratch (fentry): per CPU, the thread and number of the last
	// call a dispatcher's program counted (see sysEnter).
	scratch int
	// ring (byTgid): a ring buffer the exit program writes the tgid of
	// a member that ended to, so that a recorder waiting for the tree
	// to end wakes when the kernel sees it end.
	ring int
}

// progs are the instructions of the programs.
type progs struct {
	sysEnter, fork, exit, exec asm.Instructions
	// cgroupExit (byCgroup) marks the cgroup seen when a task ends in it
	// (a task that joined and ended without a call), cgroupAttach when a
	// task moves into it (one that leaves again without a call).
	cgroupExit, cgroupAttach asm.Instructions
}

// maxCgroupDepth is how deep below the root of the cgroup v2 hierarchy
// the cgroup_attach_task program looks for the recorded cgroup among a
// task's ancestors.
const maxCgroupDepth = 32

// markSeen sets stats[statSeen] to 1 unless it is already (a load of
// a word all CPUs share, not a store, on every call after the first).
// It uses R0-R2 and the stack word at -24.
func markSeen(stats int, label string) asm.Instructions {
	return asm.Instructions{
		asm.StoreImm(asm.RFP, -24, statSeen, asm.Word),
		asm.LoadMapPtr(asm.R1, stats),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -24),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, label),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.JNE.Imm(asm.R1, 0, label),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
	}
}

// incStat adds delta to stats[idx]; it uses R1-R3 and R0 and the stack
// word at -24.
func incStat(stats int, idx int32, delta int32, label string) asm.Instructions {
	return asm.Instructions{
		asm.StoreImm(asm.RFP, -24, int64(idx), asm.Word),
		asm.LoadMapPtr(asm.R1, stats),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -24),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, label),
		asm.Mov.Imm(asm.R1, delta),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
	}
}

// memberWord is bitmapWord, and then R1 the tgid's bit in the word (0
// or 1). It uses R0-R2.
func memberWord(members int, tgid, key int16) asm.Instructions {
	return append(bitmapWord(members, tgid, key),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.LoadMem(asm.R2, asm.RFP, tgid, asm.Word),
		asm.And.Imm(asm.R2, 63),
		asm.RSh.Reg(asm.R1, asm.R2),
		asm.And.Imm(asm.R1, 1),
	)
}

// bitmapWord looks up the word of the members bitmap of the tgid at the
// stack offset tgid (the key goes to the stack offset key): R0 is the
// word's address, or the program returns. It uses R0-R2.
func bitmapWord(members int, tgid, key int16) asm.Instructions {
	return asm.Instructions{
		asm.LoadMem(asm.R1, asm.RFP, tgid, asm.Word),
		asm.RSh.Imm(asm.R1, 6),
		asm.StoreMem(asm.RFP, key, asm.R1, asm.Word),
		asm.LoadMapPtr(asm.R1, members),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, int32(key)),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
	}
}

// fetchBit sets (or clears) the bit in the members bitmap of the tgid at
// the stack offset tgid, atomically: R1 is the bit before (0 or 1), or
// the program returns. It uses R0-R2 and the stack word at -32.
func fetchBit(members int, tgid int16, clear bool) asm.Instructions {
	insns := append(bitmapWord(members, tgid, -32),
		asm.LoadMem(asm.R1, asm.RFP, tgid, asm.Word),
		asm.And.Imm(asm.R1, 63),
		asm.Mov.Imm(asm.R2, 1),
		asm.LSh.Reg(asm.R2, asm.R1),
	)
	if clear {
		insns = append(insns,
			asm.Xor.Imm(asm.R2, -1),
			atomicOp(asm.FetchAnd, bpfAnd|bpfFetch),
		)
	} else {
		insns = append(insns, atomicOp(asm.FetchOr, bpfOr|bpfFetch))
	}
	// R2 is the word before.
	return append(insns,
		asm.LoadMem(asm.R1, asm.RFP, tgid, asm.Word),
		asm.And.Imm(asm.R1, 63),
		asm.RSh.Reg(asm.R2, asm.R1),
		asm.And.Imm(asm.R2, 1),
		asm.Mov.Reg(asm.R1, asm.R2),
	)
}

// The atomic operations' codes in the immediate (BPF_AND, BPF_OR).
const (
	bpfAnd   = 0x50
	bpfOr    = 0x40
	bpfFetch = 0x01 // BPF_FETCH: the source register gets the old value
)

// atomicOp is "R2 = atomic_fetch_op((u64 *)(R0 + 0), R2)" (or without
// the fetch "lock *(u64 *)(R0 + 0) op= R2"). cilium/ebpf's asm (v0.22)
// encodes AtomicOp.Mem with an immediate of 0, which the kernel reads as
// an atomic add: the immediate is set here.
func atomicOp(op asm.AtomicOp, imm int64) asm.Instruction {
	ins := op.Mem(asm.R0, asm.R2, asm.DWord, 0)
	ins.Constant = imm
	return ins
}

// readKernel copies size bytes at R3+off into the stack at dst; on a
// failure it counts a read error and returns.
func readKernel(stats int, dst int16, size int32, off int32, label string) asm.Instructions {
	insns := asm.Instructions{
		asm.Add.Imm(asm.R3, off),
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, int32(dst)),
		asm.Mov.Imm(asm.R2, size),
		asm.FnProbeReadKernel.Call(),
		asm.JEq.Imm(asm.R0, 0, label),
	}
	insns = append(insns, incStat(stats, statReadErr, 1, "out")...)
	return append(insns, asm.Ja.Label("out"))
}

var out = asm.Instructions{
	asm.Mov.Imm(asm.R0, 0).WithSymbol("out"),
	asm.Return(),
}

// valueKey is the key of the values map: a slot and the values of its
// checked arguments (the second 0 for a call with one).
type valueKey struct {
	Slot uint32
	_    uint32
	V    [2]uint64
}

// The stack of the sys_enter program.
const (
	fpTgid = -4  // u32: the tgid looked up
	fpSlot = -12 // u32: the slot of the call
	fpWord = -16 // u32: the tgid's word in the members bitmap, or 0
	fpArg0 = -24 // u64: the first argument (socketcall, ipc)
	fpSpec = -28 // u32: the argspec of the slot
	fpKey  = -56 // valueKey
	fpOne  = -60 // u32: the value stored in the values map
	fpNr   = -72 // u64: orig_ax (srcNI)
	fpZero = -76 // u32: 0, the key of the scratch map
	fpRegs = -88 // u64: the registers of the call (srcNI)
)

// Where a sys_enter program runs, which says where it finds the call's
// number and ABI.
const (
	// The raw tracepoint sys_enter(struct pt_regs *regs, long id), on
	// every call once the kernel has put every task on its slow
	// system-call path: the ABI is the task's (TS_COMPAT, the x32 bit).
	srcTracepoint = iota
	// fentry of the kernel's dispatchers (Linux 6.9 and later), called
	// on the fast path for a number in their table:
	// x64_sys_call(const struct pt_regs *regs, unsigned int nr) is
	// x86_64, ia32_sys_call i386, and x32_sys_call x32 (nr without
	// __X32_SYSCALL_BIT).
	srcX64
	srcIA32
	srcX32
	// fentry of sys_ni_syscall(void), which a number in no table
	// reaches (through __x64_sys_ni_syscall or __ia32_sys_ni_syscall),
	// and so does one in a gap of a table or of a system call the
	// kernel is built without, which the dispatcher's program has
	// counted (it is skipped); the number is orig_ax, the ABI the
	// task's. A number of -1 reaches no function and is not recorded:
	// the kernel answers it with ENOSYS without a dispatch.
	srcNI
)

// buildProgs builds the programs; cgroupID is the id of the recorded
// cgroup (byCgroup). sysEnter is the raw tracepoint's (see sysEnter for
// the fentry ones).
func buildProgs(o offsets, mode int, withArgs bool, m fds, cgroupID uint64) progs {
	var p progs
	p.sysEnter = sysEnter(o, mode, withArgs, m, srcTracepoint)

	// sched_process_fork(struct task_struct *parent, struct task_struct
	// *child), in the parent: a new thread group of a member is a member.
	p.fork = asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentTaskBtf.Call(),
		asm.LoadMem(asm.R1, asm.R0, int16(o.tgid), asm.Word),
		asm.StoreMem(asm.RFP, -4, asm.R1, asm.Word),
	}
	p.fork = append(p.fork, memberWord(m.members, -4, -16)...)
	p.fork = append(p.fork,
		asm.JEq.Imm(asm.R1, 0, "out"),
		asm.LoadMem(asm.R3, asm.R6, 8, asm.DWord), // child
	)
	p.fork = append(p.fork, readKernel(m.stats, -8, 4, o.tgid, "child")...)
	p.fork = append(p.fork,
		asm.LoadMem(asm.R1, asm.RFP, -4, asm.Word).WithSymbol("child"),
		asm.LoadMem(asm.R2, asm.RFP, -8, asm.Word),
		asm.JEq.Reg(asm.R1, asm.R2, "out"), // a thread
	)
	p.fork = append(p.fork, fetchBit(m.members, -8, false)...)
	p.fork = append(p.fork, asm.JNE.Imm(asm.R1, 0, "out")) // a member already
	p.fork = append(p.fork, incStat(m.stats, statLive, 1, "out")...)
	p.fork = append(p.fork, out...)

	// sched_process_exit(struct task_struct *task), task being the
	// caller: when the last thread of a member ends (signal->live is 0),
	// the group leaves the tree. Of threads ending at once, the one that
	// clears the bit counts the end.
	p.exit = asm.Instructions{
		asm.FnGetCurrentTaskBtf.Call(),
		asm.Mov.Reg(asm.R9, asm.R0),
		asm.LoadMem(asm.R1, asm.R9, int16(o.tgid), asm.Word),
		asm.StoreMem(asm.RFP, -4, asm.R1, asm.Word),
	}
	p.exit = append(p.exit, memberWord(m.members, -4, -16)...)
	p.exit = append(p.exit,
		asm.JEq.Imm(asm.R1, 0, "out"),
		asm.Mov.Reg(asm.R3, asm.R9),
	)
	p.exit = append(p.exit, readKernel(m.stats, -16, 8, o.signal, "signal")...)
	p.exit = append(p.exit,
		asm.LoadMem(asm.R3, asm.RFP, -16, asm.DWord).WithSymbol("signal"),
	)
	p.exit = append(p.exit, readKernel(m.stats, -8, 4, o.live, "live")...)
	p.exit = append(p.exit,
		asm.LoadMem(asm.R1, asm.RFP, -8, asm.Word).WithSymbol("live"),
		asm.JNE.Imm(asm.R1, 0, "out"),
	)
	p.exit = append(p.exit, fetchBit(m.members, -4, true)...)
	p.exit = append(p.exit, asm.JEq.Imm(asm.R1, 0, "out")) // another thread ended it
	p.exit = append(p.exit, incStat(m.stats, statLive, -1, "notify")...)
	// Wake the recorder: the tree may have ended. A full ring (the
	// recorder reads it on every wake) loses no end: its data wakes the
	// recorder, which then reads the count.
	p.exit = append(p.exit,
		asm.LoadMapPtr(asm.R1, m.ring).WithSymbol("notify"),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		asm.Mov.Imm(asm.R3, 4),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnRingbufOutput.Call(),
	)
	p.exit = append(p.exit, out...)

	// sched_process_exit in a cgroup recording: a task of the cgroup
	// that ends was in it, even if it never made a call.
	p.cgroupExit = asm.Instructions{
		asm.LoadMapPtr(asm.R1, m.cgroup),
		asm.Mov.Imm(asm.R2, 0),
		asm.FnCurrentTaskUnderCgroup.Call(),
		asm.JNE.Imm(asm.R0, 1, "out"),
	}
	p.cgroupExit = append(p.cgroupExit, markSeen(m.stats, "out")...)
	p.cgroupExit = append(p.cgroupExit, out...)
	p.cgroupAttach = cgroupAttach(o, m, cgroupID)

	// sched_process_exec(struct task_struct *p, pid_t old_pid, struct
	// linux_binprm *bprm): the helper's execve succeeded and its other
	// threads are gone; it is a member from now on.
	p.exec = asm.Instructions{
		asm.FnGetCurrentTaskBtf.Call(),
		asm.LoadMem(asm.R7, asm.R0, int16(o.tgid), asm.Word),
		asm.StoreMem(asm.RFP, -4, asm.R7, asm.Word),
		asm.StoreImm(asm.RFP, -8, 0, asm.Word),
		asm.LoadMapPtr(asm.R1, m.pending),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -8),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
		asm.JNE.Reg(asm.R1, asm.R7, "out"),
		asm.LoadMem(asm.R1, asm.R0, 4, asm.Word),
		asm.JNE.Imm(asm.R1, stateExecing, "out"),
		asm.StoreImm(asm.R0, 4, stateLive, asm.Word),
	}
	p.exec = append(p.exec, fetchBit(m.members, -4, false)...)
	p.exec = append(p.exec, asm.JNE.Imm(asm.R1, 0, "out"))
	p.exec = append(p.exec, incStat(m.stats, statLive, 1, "out")...)
	p.exec = append(p.exec, out...)
	return p
}

// sysEnter is the program that counts the call of a task the recording
// follows under its ABI and number, run where src says (R9 the ABI, R8
// the number, R7 the slot). Its context is an array of the arguments
// (the raw tracepoint's or the function's), the registers of the call
// first.
// R9 is the task until the ABI is known: a pointer the verifier knows
// the type of (BTF), read with plain loads that the kernel guards, not
// helper calls.
func sysEnter(o offsets, mode int, withArgs bool, m fds, src int) asm.Instructions {
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
	}
	if src == srcNI {
		// sys_ni_syscall(void): the registers are the task's
		// (bpf_task_pt_regs), kept on the stack where R6 points, as
		// the context of the others has them; the number is their
		// orig_ax.
		insns = append(insns,
			asm.FnGetCurrentTaskBtf.Call(),
			asm.Mov.Reg(asm.R1, asm.R0),
			asm.FnTaskPtRegs.Call(),
			asm.StoreMem(asm.RFP, fpRegs, asm.R0, asm.DWord),
			asm.Mov.Reg(asm.R6, asm.RFP),
			asm.Add.Imm(asm.R6, fpRegs),
			asm.Mov.Reg(asm.R3, asm.R0),
		)
		insns = append(insns, readKernel(m.stats, fpNr, 8, o.origAx, "task")...)
	}
	insns = append(insns,
		asm.FnGetCurrentTaskBtf.Call().WithSymbol("task"),
		asm.Mov.Reg(asm.R9, asm.R0),
	)
	switch mode {
	case byTgid:
		// The bit of the thread group in the members bitmap: one
		// inlined array lookup, all that a call of a task outside the
		// tree costs.
		insns = append(insns,
			asm.LoadMem(asm.R7, asm.R9, int16(o.tgid), asm.Word),
			asm.StoreMem(asm.RFP, fpTgid, asm.R7, asm.Word),
		)
		insns = append(insns, memberWord(m.members, fpTgid, fpWord)...)
		insns = append(insns,
			asm.JNE.Imm(asm.R1, 0, "live"),
			// Not a member: the helper, waiting to execute the target?
			asm.StoreImm(asm.RFP, fpWord, 0, asm.Word),
			asm.LoadMapPtr(asm.R1, m.pending),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, fpWord),
			asm.FnMapLookupElem.Call(),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
			asm.JNE.Reg(asm.R1, asm.R7, "out"),
			asm.LoadMem(asm.R1, asm.R0, 4, asm.Word),
			asm.JNE.Imm(asm.R1, statePending, "out"),
			// The helper is recorded from the execve that starts the
			// target (the helper is a native program); the calls its
			// other threads make until the exec has replaced them are
			// not the target's (sched_process_exec makes it a member).
		)
		insns = append(insns, loadNr(src, "")...)
		insns = append(insns,
			asm.JEq.Imm(asm.R8, nrExecve, "exec"),
			asm.JEq.Imm(asm.R8, nrExecveat, "exec"),
			asm.Ja.Label("out"),
			asm.StoreImm(asm.R0, 4, stateExecing, asm.Word).WithSymbol("exec"),
		)
		insns = append(insns, loadNr(src, "live")...)
	case byCgroup:
		insns = append(insns,
			asm.LoadMapPtr(asm.R1, m.cgroup),
			asm.Mov.Imm(asm.R2, 0),
			asm.FnCurrentTaskUnderCgroup.Call(),
			asm.JNE.Imm(asm.R0, 1, "out"),
		)
		// The recorder ends the recording when the cgroup is empty
		// once it has seen a task in it, however briefly.
		insns = append(insns, markSeen(m.stats, "seen")...)
		insns = append(insns, loadNr(src, "seen")...)
	}
	switch src {
	case srcX64, srcIA32, srcX32:
		// The dispatcher's table says the ABI. A call of its number
		// that reaches sys_ni_syscall too (a gap in the table) is
		// counted here, once: the scratch tells that program.
		insns = append(insns, scratch(o, m, false, src == srcX32)...)
		abi := map[int]int32{srcX64: abiX86_64, srcIA32: abiI386, srcX32: abiX32}[src]
		insns = append(insns, asm.Mov.Imm(asm.R9, abi).WithSymbol("abi"))
	case srcNI:
		insns = append(insns, scratch(o, m, true, false)...)
		fallthrough
	default:
		insns = append(insns, taskABI(o)...)
	}
	insns = append(insns,
		asm.JLE.Imm(asm.R8, beyond-1, "slot").WithSymbol("index"), // unsigned: a negative id is beyond
		asm.Mov.Imm(asm.R8, beyond),
		asm.Mov.Reg(asm.R7, asm.R9).WithSymbol("slot"),
		asm.Mul.Imm(asm.R7, slots),
		asm.Add.Reg(asm.R7, asm.R8),
		// i386's socketcall and ipc count as the sub-call their first
		// argument selects.
		asm.JNE.Imm(asm.R9, abiI386, "count"),
		asm.JEq.Imm(asm.R8, nrSocketcall, "mux"),
		asm.JNE.Imm(asm.R8, nrIPC, "count"),
		asm.LoadMem(asm.R3, asm.R6, 0, asm.DWord).WithSymbol("mux"), // regs
	)
	insns = append(insns, readKernel(m.stats, fpArg0, 8, o.regs32[0], "call")...)
	insns = append(insns,
		asm.LoadMem(asm.R1, asm.RFP, fpArg0, asm.DWord).WithSymbol("call"),
		asm.Mov.Imm(asm.R2, socketBase),
		asm.JEq.Imm(asm.R8, nrSocketcall, "sub"),
		asm.And.Imm(asm.R1, 0xffff), // the high half of ipc's is the version
		asm.Mov.Imm(asm.R2, ipcBase),
		asm.JGE.Imm(asm.R1, subSlots, "count").WithSymbol("sub"),
		asm.Mov.Reg(asm.R7, asm.R2),
		asm.Add.Reg(asm.R7, asm.R1),
		asm.StoreMem(asm.RFP, fpSlot, asm.R7, asm.Word).WithSymbol("count"),
		asm.LoadMapPtr(asm.R1, m.counts),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpSlot),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "args"),
		// A per-CPU slot: the program does not run twice at once on
		// one CPU, so a plain increment is exact.
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.Add.Imm(asm.R1, 1),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
	)
	if withArgs {
		insns = append(insns, argValues(o, m)...)
	} else {
		insns = append(insns, asm.Ja.Label("out").WithSymbol("args"))
	}
	insns = append(insns, out...)
	return insns
}

// loadNr loads the call's number into R8 (the first instruction with
// the symbol sym, if not ""): the tracepoint's id as it is, a
// dispatcher's nr and orig_ax (srcNI, read to the stack) in their low
// 32 bits, as the kernel reads them (a negative one is beyond every
// table).
func loadNr(src int, sym string) asm.Instructions {
	var insns asm.Instructions
	switch src {
	case srcTracepoint:
		insns = asm.Instructions{asm.LoadMem(asm.R8, asm.R6, 8, asm.DWord)}
	case srcNI:
		insns = asm.Instructions{asm.LoadMem(asm.R8, asm.RFP, fpNr, asm.DWord), asm.Mov.Reg32(asm.R8, asm.R8)}
	default:
		insns = asm.Instructions{asm.LoadMem(asm.R8, asm.R6, 8, asm.DWord), asm.Mov.Reg32(asm.R8, asm.R8)}
	}
	if sym != "" {
		insns[0] = insns[0].WithSymbol(sym)
	}
	return insns
}

// scratch keeps (a dispatcher's program, skip false) or checks (the
// sys_ni_syscall one, skip true) the thread and number of the
// call R8 of task R9 in the CPU's scratch word, as thread id<<32 |
// number with its x32 bit: a number in a gap of a dispatcher's table
// reaches both programs on the same CPU, one after the other, and
// counts once. (A task that another preempts between the two counts
// twice: a count one too high, never a call missed.) It goes on at
// "abi", or to "out" when skip finds the call counted.
func scratch(o offsets, m fds, skip, x32 bool) asm.Instructions {
	insns := asm.Instructions{
		asm.StoreImm(asm.RFP, fpZero, 0, asm.Word),
		asm.LoadMapPtr(asm.R1, m.scratch),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpZero),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "abi"),
		asm.LoadMem(asm.R1, asm.R9, int16(o.pid), asm.Word),
		asm.LSh.Imm(asm.R1, 32),
		asm.Or.Reg(asm.R1, asm.R8),
	}
	if x32 {
		insns = append(insns, asm.Or.Imm(asm.R1, x32SyscallBit))
	}
	if skip {
		return append(insns,
			asm.LoadMem(asm.R2, asm.R0, 0, asm.DWord),
			asm.JEq.Reg(asm.R1, asm.R2, "out"),
		)
	}
	return append(insns, asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord))
}

// taskABI sets R9 to the ABI of the call R8 of task R9 (TS_COMPAT in
// its thread_info: i386; the x32 bit in the number: x32, the bit then
// cleared), at the symbol "abi".
func taskABI(o offsets) asm.Instructions {
	return asm.Instructions{
		asm.LoadMem(asm.R1, asm.R9, int16(o.status), asm.Word).WithSymbol("abi"),
		asm.Mov.Imm(asm.R9, abiX86_64),
		asm.And.Imm(asm.R1, tsCompat),
		asm.JEq.Imm(asm.R1, 0, "native"),
		asm.Mov.Imm(asm.R9, abiI386),
		asm.Ja.Label("index"),
		asm.Mov.Reg(asm.R1, asm.R8).WithSymbol("native"),
		asm.And.Imm(asm.R1, x32SyscallBit),
		asm.JEq.Imm(asm.R1, 0, "index"),
		asm.Mov.Imm(asm.R9, abiX32),
		asm.And.Imm(asm.R8, ^x32SyscallBit),
	}
}

// cgroupAttach is the program of cgroup_attach_task(struct cgroup
// *dst_cgrp, const char *path, struct task_struct *task, bool
// threadgroup), which runs once the task (with its thread group) has
// moved, in any hierarchy: it marks the recorded cgroup seen when the
// task's cgroup v2 (task->cgroups->dfl_cgrp) is it or below it, that is
// when one of its ancestors (cgroup.ancestors[0..level]) has the
// cgroup's id.
func cgroupAttach(o offsets, m fds, cgroupID uint64) asm.Instructions {
	const (
		fpPtr   = -8  // u64: the pointer or id read
		fpCgrp  = -16 // u64: the task's cgroup
		fpLevel = -32 // u32: its level
	)
	insns := asm.Instructions{
		asm.LoadMem(asm.R3, asm.R1, 16, asm.DWord), // task
	}
	insns = append(insns, readKernel(m.stats, fpPtr, 8, o.cgroups, "css")...)
	insns = append(insns, asm.LoadMem(asm.R3, asm.RFP, fpPtr, asm.DWord).WithSymbol("css"))
	insns = append(insns, readKernel(m.stats, fpPtr, 8, o.dflCgrp, "cgrp")...)
	insns = append(insns,
		asm.LoadMem(asm.R3, asm.RFP, fpPtr, asm.DWord).WithSymbol("cgrp"),
		asm.StoreMem(asm.RFP, fpCgrp, asm.R3, asm.DWord),
	)
	insns = append(insns, readKernel(m.stats, fpLevel, 4, o.cgLevel, "level")...)
	insns = append(insns, asm.LoadMem(asm.R7, asm.RFP, fpLevel, asm.Word).WithSymbol("level"))
	for i := range int32(maxCgroupDepth) {
		anc, kn, id := fmt.Sprintf("anc%d", i), fmt.Sprintf("kn%d", i), fmt.Sprintf("id%d", i)
		insns = append(insns,
			asm.JLT.Imm(asm.R7, i, "out"), // beyond the task's own cgroup
			asm.LoadMem(asm.R3, asm.RFP, fpCgrp, asm.DWord),
		)
		insns = append(insns, readKernel(m.stats, fpPtr, 8, o.cgAncestors+8*i, anc)...)
		insns = append(insns, asm.LoadMem(asm.R3, asm.RFP, fpPtr, asm.DWord).WithSymbol(anc))
		insns = append(insns, readKernel(m.stats, fpPtr, 8, o.cgKn, kn)...)
		insns = append(insns, asm.LoadMem(asm.R3, asm.RFP, fpPtr, asm.DWord).WithSymbol(kn))
		insns = append(insns, readKernel(m.stats, fpPtr, 8, o.knID, id)...)
		insns = append(insns,
			asm.LoadMem(asm.R1, asm.RFP, fpPtr, asm.DWord).WithSymbol(id),
			asm.LoadImm(asm.R2, int64(cgroupID), asm.DWord),
			asm.JEq.Reg(asm.R1, asm.R2, "mark"),
		)
	}
	insns = append(insns, asm.Ja.Label("out"))
	mark := markSeen(m.stats, "out")
	mark[0] = mark[0].WithSymbol("mark")
	insns = append(insns, mark...)
	return append(insns, out...)
}

// argValues keeps the values of the checked arguments of the call in
// slot R7 (ABI R9): when the argspec map names registers for the slot and
// the slot has not more than record.MaxValues distinct values yet, the
// (slot, values) pair enters the values map, and a new one counts in the
// distinct map. A value of a 32-bit ABI keeps its low half.
func argValues(o offsets, m fds) asm.Instructions {
	insns := asm.Instructions{
		asm.LoadMapPtr(asm.R1, m.argspec).WithSymbol("args"),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpSlot),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
		asm.JEq.Imm(asm.R1, 0, "out"),
		asm.StoreMem(asm.RFP, fpSpec, asm.R1, asm.Word),
		asm.LoadMapPtr(asm.R1, m.distinct),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpSlot),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.JGT.Imm(asm.R1, record.MaxValues, "out"), // any value already
		asm.StoreMem(asm.RFP, fpKey, asm.R7, asm.Word),
		asm.StoreImm(asm.RFP, fpKey+4, 0, asm.Word),
		asm.Mov.Imm(asm.R1, 0),
		asm.StoreMem(asm.RFP, fpKey+8, asm.R1, asm.DWord),
		asm.StoreMem(asm.RFP, fpKey+16, asm.R1, asm.DWord),
	}
	// Each argument: its pt_regs offset+1 in 16 bits of the spec, the
	// first in the low ones (never 0).
	for i, next := range []string{"arg1", "values"} {
		insns = append(insns,
			asm.LoadMem(asm.R1, asm.RFP, fpSpec, asm.Word),
			asm.RSh.Imm(asm.R1, int32(16*i)),
			asm.And.Imm(asm.R1, 0xffff),
			asm.JEq.Imm(asm.R1, 0, "values"),
			asm.Add.Imm(asm.R1, -1),
			asm.LoadMem(asm.R3, asm.R6, 0, asm.DWord), // regs
			asm.Add.Reg(asm.R3, asm.R1),
		)
		if i == 1 {
			insns[len(insns)-7] = insns[len(insns)-7].WithSymbol("arg1")
		}
		insns = append(insns, readKernel(m.stats, fpKey+8+int16(8*i), 8, 0, next)...)
	}
	insns = append(insns,
		asm.JEq.Imm(asm.R9, abiX86_64, "lookup").WithSymbol("values"),
		asm.LoadMem(asm.R1, asm.RFP, fpKey+8, asm.DWord),
		asm.Mov.Reg32(asm.R1, asm.R1),
		asm.StoreMem(asm.RFP, fpKey+8, asm.R1, asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, fpKey+16, asm.DWord),
		asm.Mov.Reg32(asm.R1, asm.R1),
		asm.StoreMem(asm.RFP, fpKey+16, asm.R1, asm.DWord),
		asm.LoadMapPtr(asm.R1, m.values).WithSymbol("lookup"),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpKey),
		asm.FnMapLookupElem.Call(),
		asm.JNE.Imm(asm.R0, 0, "out"), // seen
		asm.StoreImm(asm.RFP, fpOne, 1, asm.Word),
		asm.LoadMapPtr(asm.R1, m.values),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpKey),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, fpOne),
		asm.Mov.Imm(asm.R4, 1), // BPF_NOEXIST
		asm.FnMapUpdateElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "new"),
		asm.JEq.Imm(asm.R0, -eexist, "out"), // another CPU added it
	)
	insns = append(insns, incStat(m.stats, statLostValue, 1, "out")...)
	insns = append(insns,
		asm.Ja.Label("out"),
		asm.LoadMapPtr(asm.R1, m.distinct).WithSymbol("new"),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpSlot),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
	)
	return insns
}

// argSpec returns the argspec map's values: for each slot of a call with
// checked arguments (record.ArgIndexes), where they are in pt_regs, as
// offset+1 of the first in the low 16 bits and of the second, if any, in
// the high ones.
func argSpec(o offsets) map[uint32]uint32 {
	spec := map[uint32]uint32{}
	for a, abi := range abis {
		regs := o.regs64
		if abi == arch.X86 {
			regs = o.regs32
		}
		for nr := range uint32(beyond) {
			n := nr
			if abi == arch.X32 {
				n |= x32SyscallBit
			}
			name, ok := abi.SyscallName(n)
			if !ok {
				continue
			}
			idx := record.ArgIndexes(abi, name)
			if len(idx) == 0 || len(idx) > 2 {
				continue
			}
			v := uint32(regs[idx[0]] + 1)
			if len(idx) == 2 {
				v |= uint32(regs[idx[1]]+1) << 16
			}
			spec[uint32(a)*slots+nr] = v
		}
	}
	return spec
}

func (p progs) String() string {
	return fmt.Sprintf("sys_enter:\n%v\nsched_process_fork:\n%v\nsched_process_exit:\n%v\nsched_process_exec:\n%v", p.sysEnter, p.fork, p.exit, p.exec)
}
