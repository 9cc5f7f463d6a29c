package analyze

import (
	"fmt"
	"slices"

	"golang.org/x/arch/x86/x86asm"
)

// Registers, in the order of their x86 encoding.
const (
	rAX = 0
	rCX = 1
	rDX = 2
	rSP = 4
	rBP = 5
	rSI = 6
	rDI = 7
	r8  = 8
	r9  = 9
	r10 = 10
	r11 = 11
)

// gpr returns the general register r is part of and its width in bits.
func gpr(r x86asm.Reg) (idx, bits int, ok bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return int(r - x86asm.AL), 8, true
	case r >= x86asm.AH && r <= x86asm.BH:
		return int(r - x86asm.AH), 8, true
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return int(r-x86asm.SPB) + 4, 8, true
	case r >= x86asm.AX && r <= x86asm.R15W:
		return int(r - x86asm.AX), 16, true
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return int(r - x86asm.EAX), 32, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return int(r - x86asm.RAX), 64, true
	}
	return 0, 0, false
}

// state is what is known at a point of a function: the registers, and
// the stack slots by their offset from the stack pointer at entry.
type state struct {
	regs  [32]value // x86_64 uses the first 16
	sp    int64     // rsp - rsp at entry; valid when spOK
	spOK  bool
	bp    int64 // rbp - rsp at entry, when rbp is a frame pointer (bpOK)
	bpOK  bool
	slots map[int64]value
	reach bool // some path gets here
	// arm64: register spReg-1 holds the stack pointer at entry +
	// spRegAt (Go's large frames: sub x20, sp, #n; mov sp, x20).
	spReg   int8
	spRegAt int64
}

func (s *state) clone() state {
	c := *s
	c.slots = make(map[int64]value, len(s.slots))
	for k, v := range s.slots {
		c.slots[k] = v
	}
	return c
}

// merge joins o into s and reports whether s changed.
func (s *state) merge(o *state) bool {
	if !o.reach {
		return false
	}
	if !s.reach {
		*s = o.clone()
		return true
	}
	changed := false
	for i := range s.regs {
		j := join(s.regs[i], o.regs[i])
		if !j.equal(s.regs[i]) {
			s.regs[i] = j
			changed = true
		}
	}
	if s.spOK && (!o.spOK || o.sp != s.sp) {
		s.spOK = false
		s.slots = map[int64]value{}
		changed = true
	}
	if s.bpOK && (!o.bpOK || o.bp != s.bp) {
		s.bpOK = false
		changed = true
	}
	if s.spReg != 0 && (o.spReg != s.spReg || o.spRegAt != s.spRegAt) {
		s.spReg = 0
		changed = true
	}
	for k, v := range s.slots {
		w, ok := o.slots[k]
		if !ok {
			delete(s.slots, k)
			changed = true
			continue
		}
		if j := join(v, w); !j.equal(v) {
			s.slots[k] = j
			changed = true
		}
	}
	return changed
}

func (s *state) clobber(regs ...int) {
	for _, r := range regs {
		s.regs[r] = unknown
	}
}

// site is a call or tail jump out of a function: to another function of
// the module (target) or to an import (name), with the values of the
// registers that carry a system-call number into a wrapper.
type site struct {
	target uint64
	name   string
	rax    value // x86_64: rax; arm64: x0
	rdi    value
	stk    value // arm64: the first stack argument (Go's ABI0)
}

// fnResult is what the analysis of one function found.
type fnResult struct {
	numbers    []uint64 // system-call numbers it passes in rax to SYSCALL
	unresolved []string
	numArg     int8 // 1+register: it passes that argument of its own as a number
	sites      []site
	indirect   bool     // it calls or jumps through a pointer
	taken      []uint64 // text addresses it takes (lea rip)
}

// inst is a decoded instruction.
type inst struct {
	pc uint64
	x86asm.Inst
}

// module-side callbacks of the function analysis.
type x86Env struct {
	inText   func(addr uint64) bool
	importAt func(slot uint64) (string, bool) // a GOT slot's import
	stubAt   func(addr uint64) (string, bool) // a PLT stub's import
	noReturn func(addr uint64) bool           // arm64: a function that never returns
}

// analyzeX86 analyses the instructions of one function, [start, end).
func analyzeX86(code []byte, start, end uint64, env x86Env) fnResult {
	var res fnResult
	var insts []inst
	for pc := start; pc < end; {
		off := pc - start
		if b := code[off:]; len(b) >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && (b[3] == 0xfa || b[3] == 0xfb) {
			// ENDBR64/ENDBR32, which the decoder does not know.
			insts = append(insts, inst{pc, x86asm.Inst{Op: x86asm.NOP, Len: 4}})
			pc += 4
			continue
		}
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil || in.Len == 0 {
			// Not an instruction (data, padding): skip a byte.
			pc++
			continue
		}
		insts = append(insts, inst{pc, in})
		pc += uint64(in.Len)
	}
	if len(insts) == 0 {
		return res
	}
	index := make(map[uint64]int, len(insts))
	for i, in := range insts {
		index[in.pc] = i
	}
	// Basic blocks: leaders are the entry, jump targets inside the
	// function and what follows a jump, call-less exit or return.
	leader := make([]bool, len(insts))
	leader[0] = true
	for i, in := range insts {
		if t, ok := branchTarget(in); ok {
			if j, ok := index[t]; ok {
				leader[j] = true
			}
		}
		if endsBlock(in.Op) && i+1 < len(insts) {
			leader[i+1] = true
		}
	}
	blocks, blockOf := splitBlocks(leader)
	in0 := make([]state, len(blocks))
	entry := entryState()
	entry.regs[rAX] = argOf(rAX)
	entry.regs[rDI] = argOf(rDI)
	in0[0] = entry
	run := func(b int, st state, record bool) []int {
		var succ []int
		for i := blocks[b][0]; i < blocks[b][1]; i++ {
			in := insts[i]
			step(&st, in, &res, env, start, end, record)
			if t, ok := branchTarget(in); ok && !record {
				if j, ok := index[t]; ok && in.Op != x86asm.CALL && outMerge(in0, blockOf[j], &st) {
					succ = append(succ, blockOf[j])
				}
			}
			if noFallthrough(in.Op) {
				return succ
			}
		}
		if last := blocks[b][1]; last < len(insts) && !record {
			if nb := blockOf[last]; outMerge(in0, nb, &st) {
				succ = append(succ, nb)
			}
		}
		return succ
	}
	// An indirect jump (a switch table, a jump through a pointer) may
	// reach any block: those no direct edge reaches then start with
	// nothing known. Without one, such blocks are dead (padding).
	jumpsIndirectly := false
	for _, in := range insts {
		if in.Op == x86asm.JMP && len(in.Args) > 0 {
			if _, ok := in.Args[0].(x86asm.Rel); !ok {
				jumpsIndirectly = true
			}
		}
	}
	solve(in0, jumpsIndirectly, run)
	slices.Sort(res.numbers)
	res.numbers = slices.Compact(res.numbers)
	return res
}

// splitBlocks cuts a function's instructions into basic blocks at the
// leaders: blocks holds each block's [first, last+1) instruction, blockOf
// each instruction's block.
func splitBlocks(leader []bool) (blocks [][2]int, blockOf []int) {
	blockOf = make([]int, len(leader))
	for i := range leader {
		if leader[i] {
			blocks = append(blocks, [2]int{i, i})
		}
		blocks[len(blocks)-1][1] = i + 1
		blockOf[i] = len(blocks) - 1
	}
	return blocks, blockOf
}

// entryState is the state at a function's entry before its arguments are
// named: the stack pointer known, nothing else.
func entryState() state {
	st := state{spOK: true, slots: map[int64]value{}, reach: true}
	for r := range st.regs {
		st.regs[r] = unknown
	}
	return st
}

// solve runs the data flow of a function's blocks to its fixed point
// from in0, the blocks' entry states (block 0's set): run applies block
// b to st and returns the blocks whose entry state that changed. Blocks
// only an indirect jump reaches (switch tables) start with nothing
// known. Then run records what each block does from its final entry
// state; a dead block's system calls, if any, count with nothing known.
func solve(in0 []state, jumpsIndirectly bool, run func(b int, st state, record bool) []int) {
	top := in0[0].clone()
	for r := range top.regs {
		top.regs[r] = unknown
	}
	top.spOK, top.bpOK, top.spReg = false, false, 0
	top.slots = map[int64]value{}
	work := []int{0}
	queued := make([]bool, len(in0))
	queued[0] = true
	for {
		for len(work) > 0 {
			b := work[0]
			work = work[1:]
			queued[b] = false
			for _, s := range run(b, in0[b].clone(), false) {
				if !queued[s] {
					queued[s] = true
					work = append(work, s)
				}
			}
		}
		if !jumpsIndirectly {
			break
		}
		for b := range in0 {
			if !in0[b].reach {
				in0[b] = top.clone()
				work = append(work, b)
				queued[b] = true
			}
		}
		if len(work) == 0 {
			break
		}
	}
	for b := range in0 {
		st := in0[b]
		if !st.reach {
			st = top
		}
		run(b, st.clone(), true)
	}
}

// outMerge merges st into block b's entry and reports whether it
// changed.
func outMerge(in0 []state, b int, st *state) bool {
	return in0[b].merge(st)
}

// branchTarget returns the target of a direct jump or call.
func branchTarget(in inst) (uint64, bool) {
	if len(in.Args) == 0 {
		return 0, false
	}
	if rel, ok := in.Args[0].(x86asm.Rel); ok && isBranch(in.Op) {
		return uint64(int64(in.pc) + int64(in.Len) + int64(rel)), true
	}
	return 0, false
}

func isBranch(op x86asm.Op) bool {
	switch op {
	case x86asm.JMP, x86asm.CALL, x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JCXZ, x86asm.JE, x86asm.JECXZ,
		x86asm.JG, x86asm.JGE, x86asm.JL, x86asm.JLE, x86asm.JNE, x86asm.JNO, x86asm.JNP, x86asm.JNS, x86asm.JO,
		x86asm.JP, x86asm.JRCXZ, x86asm.JS, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE:
		return true
	}
	return false
}

// endsBlock reports instructions after which the next one starts a
// block: jumps, calls (their callee clobbers registers) and returns.
func endsBlock(op x86asm.Op) bool {
	return isBranch(op) || op == x86asm.RET || op == x86asm.UD2 || op == x86asm.HLT
}

// noFallthrough reports instructions after which control does not go
// on to the next one.
func noFallthrough(op x86asm.Op) bool {
	return op == x86asm.JMP || op == x86asm.RET || op == x86asm.UD2 || op == x86asm.HLT
}

// step applies one instruction to st; with record it notes what the
// instruction means for the function's system calls and calls.
func step(st *state, in inst, res *fnResult, env x86Env, lo, hi uint64, record bool) {
	args := in.Args
	next := in.pc + uint64(in.Len)
	ripAddr := func(m x86asm.Mem) (uint64, bool) {
		if m.Base == x86asm.RIP && m.Index == 0 {
			return uint64(int64(next) + m.Disp), true
		}
		return 0, false
	}
	dst := func() (int, int, bool) {
		if len(args) > 0 && args[0] != nil {
			if r, ok := args[0].(x86asm.Reg); ok {
				return gpr(r)
			}
		}
		return 0, 0, false
	}
	srcVal := func(a x86asm.Arg) value {
		switch a := a.(type) {
		case x86asm.Imm:
			return constant(uint64(int64(a)))
		case x86asm.Reg:
			if i, bits, ok := gpr(a); ok && bits >= 32 {
				if bits == 32 {
					return st.regs[i].truncate32()
				}
				return st.regs[i]
			}
		case x86asm.Mem:
			if off, ok := spSlot(st, a); ok {
				if v, ok := st.slots[off]; ok {
					return v
				}
			}
		}
		return unknown
	}
	setReg := func(i, bits int, v value) {
		switch bits {
		case 64:
			st.regs[i] = v
		case 32:
			st.regs[i] = v.truncate32()
		default:
			st.regs[i] = unknown // a partial write
		}
	}
	memWrite := func(a x86asm.Arg, v value) {
		m, ok := a.(x86asm.Mem)
		if !ok {
			return
		}
		if off, ok := spSlot(st, m); ok {
			st.slots[off] = v
			return
		}
		if m.Base != x86asm.RIP {
			// It may be the stack through another register.
			st.slots = map[int64]value{}
		}
	}
	site := func(target uint64, name string) {
		if record {
			res.sites = append(res.sites, site{target: target, name: name, rax: st.regs[rAX], rdi: st.regs[rDI]})
		}
	}
	switch in.Op {
	case x86asm.NOP, x86asm.CMP, x86asm.TEST, x86asm.BT, x86asm.PREFETCHT0, x86asm.PAUSE, x86asm.UD2, x86asm.HLT:
		return
	case x86asm.MOV:
		if i, bits, ok := dst(); ok {
			setReg(i, bits, srcVal(args[1]))
			if i == rBP {
				st.bpOK = false
				if r, ok := args[1].(x86asm.Reg); ok && r == x86asm.RSP && st.spOK {
					st.bp, st.bpOK = st.sp, true // a frame pointer
				}
			}
			if i == rSP {
				st.spOK = false
				if r, ok := args[1].(x86asm.Reg); ok && r == x86asm.RBP && st.bpOK {
					st.sp, st.spOK = st.bp, true
				}
			}
			return
		}
		memWrite(args[0], srcVal(args[1]))
		return
	case x86asm.XOR:
		if i, bits, ok := dst(); ok {
			if r2, ok := args[1].(x86asm.Reg); ok {
				if j, bits2, _ := gpr(r2); j == i && bits2 == bits {
					setReg(i, bits, constant(0))
					return
				}
			}
			st.regs[i] = unknown
			return
		}
		memWrite(args[0], unknown)
		return
	case x86asm.LEA:
		if m, ok := args[1].(x86asm.Mem); ok {
			if a, ok := ripAddr(m); ok && env.inText(a) && record {
				res.taken = append(res.taken, a)
			}
		}
		if i, _, ok := dst(); ok {
			if i == rSP {
				st.spOK = false
			}
			st.regs[i] = unknown
		}
		return
	case x86asm.PUSH:
		v := srcVal(args[0])
		st.sp -= 8
		if st.spOK {
			st.slots[st.sp] = v
		}
		return
	case x86asm.POP:
		var v value = unknown
		if st.spOK {
			if w, ok := st.slots[st.sp]; ok {
				v = w
			}
		}
		st.sp += 8
		if i, bits, ok := dst(); ok {
			setReg(i, bits, v)
			if i == rBP {
				st.bpOK = false
			}
			if i == rSP {
				st.spOK = false
			}
		}
		return
	case x86asm.LEAVE:
		// mov rsp, rbp; pop rbp
		st.sp, st.spOK = st.bp+8, st.bpOK
		st.bpOK = false
		st.regs[rBP] = unknown
		return
	case x86asm.PUSHFQ:
		st.sp -= 8
		if st.spOK {
			st.slots[st.sp] = unknown
		}
		return
	case x86asm.POPFQ:
		st.sp += 8
		return
	case x86asm.ADD, x86asm.SUB:
		if i, bits, ok := dst(); ok && i == rSP && bits == 64 {
			if imm, ok := args[1].(x86asm.Imm); ok {
				if in.Op == x86asm.ADD {
					st.sp += int64(imm)
				} else {
					st.sp -= int64(imm)
				}
				return
			}
			st.spOK = false
			return
		}
	case x86asm.SYSCALL:
		if record {
			v := st.regs[rAX]
			switch {
			case v.arg != 0:
				res.numArg = v.arg
			case v.top || len(v.consts) == 0:
				res.unresolved = append(res.unresolved, fmt.Sprintf("SYSCALL at %#x with a number computed at run time", in.pc))
			default:
				res.numbers = append(res.numbers, v.consts...)
			}
		}
		st.clobber(rAX, rCX, r11)
		return
	case x86asm.CALL, x86asm.JMP:
		if t, ok := branchTarget(in); ok {
			if name, ok := env.stubAt(t); ok {
				site(0, name)
			} else if in.Op == x86asm.CALL || t < lo || t >= hi {
				site(t, "") // a call, or a jump out of the function: a tail call
			}
		} else if len(args) > 0 {
			called := false
			if m, ok := args[0].(x86asm.Mem); ok {
				if a, ok := ripAddr(m); ok {
					if name, ok := env.importAt(a); ok {
						site(0, name)
						called = true
					}
				}
			}
			if !called && record {
				res.indirect = true
			}
		}
		if in.Op == x86asm.CALL {
			st.clobber(rAX, rCX, rDX, rSI, rDI, r8, r9, r10, r11)
		}
		return
	case x86asm.RET:
		return
	}
	if isBranch(in.Op) {
		return
	}
	// Anything else: what it writes is unknown, and so is what string,
	// multiply, divide and CPU-information instructions write besides.
	for _, a := range args {
		if a == nil {
			break
		}
		if r, ok := a.(x86asm.Reg); ok {
			if i, _, ok := gpr(r); ok {
				if i == rSP {
					st.spOK = false
				}
				if i == rBP {
					st.bpOK = false
				}
				st.regs[i] = unknown
			}
		}
	}
	if len(args) > 0 && args[0] != nil {
		memWrite(args[0], unknown)
	}
	st.clobber(rAX, rCX, rDX, rSI, rDI)
}

// spSlot returns the slot [rsp+disp] names, relative to the stack
// pointer at entry.
func spSlot(st *state, m x86asm.Mem) (int64, bool) {
	switch {
	case m.Index != 0:
	case m.Base == x86asm.RSP && st.spOK:
		return st.sp + m.Disp, true
	case m.Base == x86asm.RBP && st.bpOK:
		return st.bp + m.Disp, true
	}
	return 0, false
}
