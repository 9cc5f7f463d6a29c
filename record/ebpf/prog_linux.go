//go:build linux && amd64

package ebpf

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// The ABIs the sys_enter program tells apart, as indexes of the counts
// map: abi*slots+nr, with the last slot of each ABI for numbers beyond.
const (
	abiX86_64 = iota
	abiI386
	abiX32
	numABI

	slots  = 1025 // numbers 0..1023, then one for any number beyond
	beyond = slots - 1
)

// Kernel constants of x86_64 (arch/x86/include/asm).
const (
	tsCompat      = 0x0002     // TS_COMPAT in thread_info.status
	x32SyscallBit = 0x40000000 // __X32_SYSCALL_BIT
	nrExecve      = 59
	nrExecveat    = 322
	eexist        = 17
)

// Indexes of the stats map.
const (
	statLive     = iota // thread groups of the tree that have not ended
	statLostFork        // forks not followed: the tgid map was full
	statReadErr         // kernel fields that could not be read
	numStats
)

// Values of the tgid map.
const (
	statePending = 0 // the helper: only its execve of the target counts
	stateExecing = 2 // the helper's execve runs: its other threads do not count
	stateLive    = 1
)

// progs are the instructions of the programs.
type progs struct {
	sysEnter, fork, exit, exec asm.Instructions
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

// lookupTgid looks the calling task's thread group up in the tgid map:
// R0 is its value or the program returns (label "out").
func lookupTgid(tgids int) asm.Instructions {
	return asm.Instructions{
		asm.FnGetCurrentPidTgid.Call(),
		asm.RSh.Imm(asm.R0, 32),
		asm.StoreMem(asm.RFP, -4, asm.R0, asm.Word),
		asm.LoadMapPtr(asm.R1, tgids),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
	}
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

func buildProgs(o offsets, tgids, counts, stats int) progs {
	var p progs

	// sys_enter(struct pt_regs *regs, long id): count the call of a
	// task of the tree under its ABI and number.
	p.sysEnter = asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}
	p.sysEnter = append(p.sysEnter, lookupTgid(tgids)...)
	p.sysEnter = append(p.sysEnter,
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.LoadMem(asm.R8, asm.R6, 8, asm.DWord), // id
		asm.LoadMem(asm.R1, asm.R7, 0, asm.Word),
		asm.JEq.Imm(asm.R1, stateLive, "live"),
		asm.JNE.Imm(asm.R1, statePending, "out"),
		// The helper is recorded from the execve that starts the
		// target (the helper is a native program); the calls its
		// other threads make until the exec has replaced them are
		// not the target's (sched_process_exec ends stateExecing).
		asm.JEq.Imm(asm.R8, nrExecve, "exec"),
		asm.JEq.Imm(asm.R8, nrExecveat, "exec"),
		asm.Ja.Label("out"),
		asm.StoreImm(asm.R7, 0, stateExecing, asm.Word).WithSymbol("exec"),
		asm.Mov.Imm(asm.R9, abiX86_64).WithSymbol("live"),
		asm.FnGetCurrentTask.Call(),
		asm.Mov.Reg(asm.R3, asm.R0),
	)
	p.sysEnter = append(p.sysEnter, readKernel(stats, -8, 4, o.status, "status")...)
	p.sysEnter = append(p.sysEnter,
		asm.LoadMem(asm.R1, asm.RFP, -8, asm.Word).WithSymbol("status"),
		asm.And.Imm(asm.R1, tsCompat),
		asm.JEq.Imm(asm.R1, 0, "native"),
		asm.Mov.Imm(asm.R9, abiI386),
		asm.Ja.Label("index"),
		asm.Mov.Reg(asm.R1, asm.R8).WithSymbol("native"),
		asm.And.Imm(asm.R1, x32SyscallBit),
		asm.JEq.Imm(asm.R1, 0, "index"),
		asm.Mov.Imm(asm.R9, abiX32),
		asm.And.Imm(asm.R8, ^x32SyscallBit),
		asm.JLE.Imm(asm.R8, beyond-1, "slot").WithSymbol("index"), // unsigned: a negative id is beyond
		asm.Mov.Imm(asm.R8, beyond),
		asm.Mul.Imm(asm.R9, slots).WithSymbol("slot"),
		asm.Add.Reg(asm.R9, asm.R8),
		asm.StoreMem(asm.RFP, -12, asm.R9, asm.Word),
		asm.LoadMapPtr(asm.R1, counts),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -12),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		// A per-CPU slot: the program does not run twice at once on
		// one CPU, so a plain increment is exact.
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.Add.Imm(asm.R1, 1),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
	)
	p.sysEnter = append(p.sysEnter, out...)

	// sched_process_fork(struct task_struct *parent, struct task_struct
	// *child): a new thread group of a tree's task joins the tree.
	p.fork = asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}
	p.fork = append(p.fork, lookupTgid(tgids)...)
	p.fork = append(p.fork,
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.LoadMem(asm.R3, asm.R6, 8, asm.DWord), // child
	)
	p.fork = append(p.fork, readKernel(stats, -8, 4, o.tgid, "child")...)
	p.fork = append(p.fork,
		asm.LoadMem(asm.R1, asm.RFP, -4, asm.Word).WithSymbol("child"),
		asm.LoadMem(asm.R2, asm.RFP, -8, asm.Word),
		asm.JEq.Reg(asm.R1, asm.R2, "out"), // a thread
		asm.LoadMapPtr(asm.R1, tgids),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -8),
		asm.Mov.Reg(asm.R3, asm.R7), // the parent's state
		asm.Mov.Imm(asm.R4, 1),      // BPF_NOEXIST
		asm.FnMapUpdateElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "added"),
		asm.JEq.Imm(asm.R0, -eexist, "out"),
	)
	p.fork = append(p.fork, incStat(stats, statLostFork, 1, "out")...)
	p.fork = append(p.fork, asm.Ja.Label("out"))
	added := incStat(stats, statLive, 1, "out")
	added[0] = added[0].WithSymbol("added")
	p.fork = append(p.fork, added...)
	p.fork = append(p.fork, out...)

	// sched_process_exit(struct task_struct *task), task being the
	// caller: when the last thread of a group of the tree ends
	// (signal->live is 0), the group leaves the tree. Of threads ending
	// at once, the one whose delete succeeds counts the end.
	p.exit = asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}
	p.exit = append(p.exit, lookupTgid(tgids)...)
	p.exit = append(p.exit,
		asm.FnGetCurrentTask.Call(),
		asm.Mov.Reg(asm.R3, asm.R0),
	)
	p.exit = append(p.exit, readKernel(stats, -16, 8, o.signal, "signal")...)
	p.exit = append(p.exit,
		asm.LoadMem(asm.R3, asm.RFP, -16, asm.DWord).WithSymbol("signal"),
	)
	p.exit = append(p.exit, readKernel(stats, -8, 4, o.live, "live")...)
	p.exit = append(p.exit,
		asm.LoadMem(asm.R1, asm.RFP, -8, asm.Word).WithSymbol("live"),
		asm.JNE.Imm(asm.R1, 0, "out"),
		asm.LoadMapPtr(asm.R1, tgids),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		asm.FnMapDeleteElem.Call(),
		asm.JNE.Imm(asm.R0, 0, "out"),
	)
	p.exit = append(p.exit, incStat(stats, statLive, -1, "out")...)
	p.exit = append(p.exit, out...)

	// sched_process_exec(struct task_struct *p, pid_t old_pid, struct
	// linux_binprm *bprm): the helper's execve succeeded and its other
	// threads are gone; from now on every call counts.
	p.exec = lookupTgid(tgids)
	p.exec = append(p.exec,
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
		asm.JNE.Imm(asm.R1, stateExecing, "out"),
		asm.StoreImm(asm.R0, 0, stateLive, asm.Word),
	)
	p.exec = append(p.exec, out...)
	return p
}

func (p progs) String() string {
	return fmt.Sprintf("sys_enter:\n%v\nsched_process_fork:\n%v\nsched_process_exit:\n%v\nsched_process_exec:\n%v", p.sysEnter, p.fork, p.exit, p.exec)
}
