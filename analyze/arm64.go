package analyze

import (
	"debug/elf"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"
)

// On arm64 the first argument is in x0 (libc's syscall() and Go's
// register ABI both take the number there): it uses the slot of rAX, so
// that a wrapper's numArg means "the first argument register" on both.
// Go's assembly functions (ABI0) take arguments on the stack: the first
// at 8(SP) at entry; argStack0 names it.
const (
	a64X0     = rAX
	a64X8     = 8
	a64FP     = 29
	a64LR     = 30
	argStack0 = 31
)

// a64Reg returns the general register r is and its width; zero reports
// xzr/wzr.
func a64Reg(a arm64asm.Arg) (idx, bits int, zero, sp, ok bool) {
	switch r := a.(type) {
	case arm64asm.Reg:
		switch {
		case r >= arm64asm.W0 && r <= arm64asm.W30:
			return int(r - arm64asm.W0), 32, false, false, true
		case r >= arm64asm.X0 && r <= arm64asm.X30:
			return int(r - arm64asm.X0), 64, false, false, true
		case r == arm64asm.WZR:
			return 0, 32, true, false, true
		case r == arm64asm.XZR:
			return 0, 64, true, false, true
		}
	case arm64asm.RegSP:
		switch arm64asm.Reg(r) {
		case arm64asm.SP:
			return 0, 64, false, true, true
		case arm64asm.WSP:
			return 0, 32, false, true, true
		}
		return a64Reg(arm64asm.Reg(r))
	}
	return 0, 0, false, false, false
}

// a64Mem splits a memory operand with an immediate into its base (-1:
// sp), offset and addressing mode.
func a64Mem(a arm64asm.Arg) (base int, off int64, mode arm64asm.AddrMode, ok bool) {
	m, isMem := a.(arm64asm.MemImmediate)
	if !isMem || m.Mode == arm64asm.AddrPostReg {
		return 0, 0, 0, false
	}
	switch r := arm64asm.Reg(m.Base); {
	case r == arm64asm.SP:
		base = -1
	case r >= arm64asm.X0 && r <= arm64asm.X30:
		base = int(r - arm64asm.X0)
	default:
		return 0, 0, 0, false
	}
	// The offset is not exported: read it from the operand's text,
	// "[B]", "[B,#n]", "[B,#n]!" or "[B],#n".
	s := m.String()
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		n, err := strconv.ParseInt(strings.TrimRight(s[i+1:], "]!"), 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		off = n
	}
	return base, off, m.Mode, true
}

func signExtend(v uint64, bits uint) int64 { return int64(v<<(64-bits)) >> (64 - bits) }

// a64Target returns the target of a direct branch or call.
func a64Target(pc uint64, in arm64asm.Inst) (uint64, bool) {
	switch in.Op {
	case arm64asm.B, arm64asm.BL, arm64asm.CBZ, arm64asm.CBNZ, arm64asm.TBZ, arm64asm.TBNZ:
	default:
		return 0, false
	}
	for _, a := range in.Args {
		if r, ok := a.(arm64asm.PCRel); ok {
			return uint64(int64(pc) + int64(r)), true
		}
	}
	return 0, false
}

// a64Unconditional reports a B without a condition.
func a64Unconditional(in arm64asm.Inst) bool {
	if in.Op != arm64asm.B {
		return false
	}
	_, cond := in.Args[0].(arm64asm.Cond)
	return !cond
}

func a64NoFallthrough(in arm64asm.Inst) bool {
	switch in.Op {
	case arm64asm.BR, arm64asm.RET, arm64asm.Op(0), arm64asm.BRK, arm64asm.HLT:
		return true
	}
	return a64Unconditional(in)
}

type a64inst struct {
	pc uint64
	arm64asm.Inst
}

// analyzeARM64 analyses the instructions of one function, [start, end),
// as analyzeX86 does for x86_64 code.
func analyzeARM64(code []byte, start, end uint64, env x86Env) fnResult {
	var res fnResult
	var insts []a64inst
	for pc := start; pc+4 <= end; pc += 4 {
		in, err := arm64asm.Decode(code[pc-start:])
		if err != nil {
			in = arm64asm.Inst{Op: arm64asm.Op(0)} // data or padding
		}
		insts = append(insts, a64inst{pc, in})
	}
	if len(insts) == 0 {
		return res
	}
	index := func(a uint64) (int, bool) {
		if a < start || a >= start+4*uint64(len(insts)) || a%4 != 0 {
			return 0, false
		}
		return int((a - start) / 4), true
	}
	leader := make([]bool, len(insts))
	leader[0] = true
	jumpsIndirectly := false
	for i, in := range insts {
		t, ok := a64Target(in.pc, in.Inst)
		if ok && in.Op != arm64asm.BL {
			if j, ok := index(t); ok {
				leader[j] = true
			}
		}
		if (ok || a64NoFallthrough(in.Inst) || in.Op == arm64asm.BLR) && i+1 < len(insts) {
			leader[i+1] = true
		}
		if in.Op == arm64asm.BR {
			jumpsIndirectly = true
		}
	}
	blocks, blockOf := splitBlocks(leader)
	in0 := make([]state, len(blocks))
	entry := entryState()
	entry.regs[a64X0] = argOf(a64X0)
	entry.slots[8] = argOf(argStack0)
	in0[0] = entry
	run := func(b int, st state, record bool) []int {
		var succ []int
		for i := blocks[b][0]; i < blocks[b][1]; i++ {
			in := insts[i]
			a64Step(&st, in, &res, env, start, end, record)
			if t, ok := a64Target(in.pc, in.Inst); ok && !record && in.Op != arm64asm.BL {
				if j, ok := index(t); ok && in0[blockOf[j]].merge(&st) {
					succ = append(succ, blockOf[j])
				}
			}
			if a64NoFallthrough(in.Inst) {
				return succ
			}
			if t, ok := a64Target(in.pc, in.Inst); ok && in.Op == arm64asm.BL && env.noReturn != nil && env.noReturn(t) {
				return succ // what follows is padding, or another path's code
			}
		}
		if last := blocks[b][1]; last < len(insts) && !record {
			if nb := blockOf[last]; in0[nb].merge(&st) {
				succ = append(succ, nb)
			}
		}
		return succ
	}
	solve(in0, jumpsIndirectly, run)
	slices.Sort(res.numbers)
	res.numbers = slices.Compact(res.numbers)
	return res
}

// a64Call forgets what a call may change: the caller-saved registers
// x0-x18 and the link register (AAPCS64), and a stack pointer copy held
// in one of them.
func (st *state) a64Call() {
	for r := 0; r <= 18; r++ {
		st.regs[r] = unknown
	}
	st.regs[a64LR] = unknown
	if st.spReg <= 19 || st.spReg == a64LR+1 {
		st.spReg = 0
	}
}

// a64Step applies one instruction to st; with record it notes what the
// instruction means for the function's system calls and calls.
func a64Step(st *state, in a64inst, res *fnResult, env x86Env, lo, hi uint64, record bool) {
	args := in.Args
	enc := in.Enc
	get := func(a arm64asm.Arg) value {
		i, bits, zero, sp, ok := a64Reg(a)
		switch {
		case !ok || sp:
			return unknown
		case zero:
			return constant(0)
		case bits == 32:
			return st.regs[i].truncate32()
		}
		return st.regs[i]
	}
	set := func(a arm64asm.Arg, v value) {
		i, bits, zero, sp, ok := a64Reg(a)
		switch {
		case !ok || zero:
		case sp:
			st.spOK = false
		case bits == 32:
			st.regs[i] = v.truncate32()
		default:
			st.regs[i] = v
		}
		if ok && !zero && !sp && i == a64FP {
			st.bpOK = false
		}
		if ok && !zero && !sp && int(st.spReg) == i+1 {
			st.spReg = 0
		}
	}
	taken := func(v value) {
		if record && !v.top && v.arg == 0 {
			for _, c := range v.consts {
				if env.inText(c) {
					res.taken = append(res.taken, c)
				}
			}
		}
	}
	site := func(target uint64, name string) {
		if record {
			stk := unknown
			if st.spOK {
				if v, ok := st.slots[st.sp+8]; ok {
					stk = v
				}
			}
			res.sites = append(res.sites, site{target: target, name: name, rax: st.regs[a64X0], stk: stk})
		}
	}
	// global reports a memory operand whose base holds an address
	// ADRP made: not the stack.
	global := func(a arm64asm.Arg) bool {
		b, _, _, ok := a64Mem(a)
		if !ok || b < 0 {
			return false
		}
		v := st.regs[b]
		return !v.top && v.arg == 0 && len(v.consts) > 0
	}
	// forget drops the slots a store of up to 32 bytes at at overlaps.
	forget := func(at int64) {
		for k := range st.slots {
			if k > at-8 && k < at+32 {
				delete(st.slots, k)
			}
		}
	}
	// globalAddr returns the address a memory operand with an immediate
	// offset names when its base holds one constant (ADRP's page).
	globalAddr := func(a arm64asm.Arg) (uint64, bool) {
		b, off, mode, ok := a64Mem(a)
		if !ok || b < 0 || mode != arm64asm.AddrOffset {
			return 0, false
		}
		v := st.regs[b]
		if v.top || v.arg != 0 || len(v.consts) != 1 {
			return 0, false
		}
		return uint64(int64(v.consts[0]) + off), true
	}
	// slot returns the stack slot a memory operand names, and applies
	// its write-back.
	slot := func(a arm64asm.Arg) (int64, bool) {
		base, off, mode, ok := a64Mem(a)
		if !ok {
			return 0, false
		}
		var at int64
		known := false
		switch {
		case base == -1 && st.spOK:
			at, known = st.sp, true
		case base == a64FP && st.bpOK:
			at, known = st.bp, true
		case base >= 0 && int(st.spReg) == base+1:
			at, known = st.spRegAt, true
		}
		if mode != arm64asm.AddrPostIndex {
			at += off
		}
		if mode == arm64asm.AddrPreIndex || mode == arm64asm.AddrPostIndex {
			switch base {
			case -1:
				st.sp += off
			default:
				st.regs[base] = unknown
				if base == a64FP {
					st.bpOK = false
				}
				if int(st.spReg) == base+1 {
					st.spReg = 0
				}
			}
		}
		return at, known
	}
	switch in.Op {
	case arm64asm.NOP, arm64asm.CMP, arm64asm.CMN, arm64asm.TST, arm64asm.CCMP, arm64asm.CCMN, arm64asm.HINT,
		arm64asm.DMB, arm64asm.DSB, arm64asm.ISB, arm64asm.PRFM, arm64asm.Op(0), arm64asm.BRK, arm64asm.HLT,
		arm64asm.CBZ, arm64asm.CBNZ, arm64asm.TBZ, arm64asm.TBNZ, arm64asm.RET:
		return
	case arm64asm.MOV:
		if imm, ok := args[1].(arm64asm.Imm64); ok {
			set(args[0], constant(imm.Imm))
			return
		}
		if _, ok := args[1].(arm64asm.ImmShift); ok {
			break // MOVZ/MOVN written as MOV: below
		}
		_, _, _, dsp, _ := a64Reg(args[0])
		si, _, _, ssp, _ := a64Reg(args[1])
		di, _, _, _, _ := a64Reg(args[0])
		switch {
		case ssp && !dsp && di == a64FP:
			st.regs[a64FP] = unknown
			st.bp, st.bpOK = st.sp, st.spOK
		case ssp:
			set(args[0], unknown)
		case dsp:
			st.spOK = false
			if si == a64FP && st.bpOK {
				st.sp, st.spOK = st.bp, true
			}
			if int(st.spReg) == si+1 {
				st.sp, st.spOK = st.spRegAt, true
			}
		default:
			set(args[0], get(args[1]))
		}
		return
	case arm64asm.ORR:
		if imm, ok := args[2].(arm64asm.Imm64); ok {
			if _, _, zero, _, _ := a64Reg(args[1]); zero {
				set(args[0], constant(imm.Imm))
				return
			}
		}
		set(args[0], unknown)
		return
	case arm64asm.MOVK:
		imm, hw := uint64(enc>>5&0xffff), uint(enc>>21&3)*16
		v := get(args[0])
		if v.top || v.arg != 0 || len(v.consts) == 0 {
			set(args[0], unknown)
			return
		}
		out := value{}
		for _, c := range v.consts {
			out = join(out, constant(c&^(0xffff<<hw)|imm<<hw))
		}
		set(args[0], out)
		return
	case arm64asm.MOVZ, arm64asm.MOVN:
	case arm64asm.ADRP:
		page := int64(in.pc&^0xfff) + signExtend(uint64(enc>>5&0x7ffff)<<2|uint64(enc>>29&3), 21)<<12
		set(args[0], constant(uint64(page)))
		return
	case arm64asm.ADR:
		a := uint64(int64(in.pc) + signExtend(uint64(enc>>5&0x7ffff)<<2|uint64(enc>>29&3), 21))
		set(args[0], constant(a))
		taken(constant(a))
		return
	case arm64asm.ADD, arm64asm.SUB:
		if enc>>23&0x3f != 0x22 || enc>>29&1 != 0 {
			break // not the immediate form, or it sets flags
		}
		imm := int64(enc >> 10 & 0xfff)
		if enc>>22&1 != 0 {
			imm <<= 12
		}
		if in.Op == arm64asm.SUB {
			imm = -imm
		}
		di, _, _, dsp, _ := a64Reg(args[0])
		si, _, _, ssp, _ := a64Reg(args[1])
		switch {
		case dsp && ssp:
			st.sp += imm
		case dsp && si == a64FP && st.bpOK:
			st.sp, st.spOK = st.bp+imm, true
		case dsp:
			st.spOK = false
		case ssp && di == a64FP:
			st.regs[a64FP] = unknown
			st.bp, st.bpOK = st.sp+imm, st.spOK
		case ssp:
			set(args[0], unknown)
			if st.spOK {
				st.spReg, st.spRegAt = int8(di+1), st.sp+imm
			}
		default:
			v := get(args[1])
			if v.top || v.arg != 0 || len(v.consts) == 0 {
				set(args[0], unknown)
				return
			}
			out := value{}
			for _, c := range v.consts {
				out = join(out, constant(uint64(int64(c)+imm)))
			}
			set(args[0], out)
			taken(out)
		}
		return
	case arm64asm.STR, arm64asm.STUR, arm64asm.STP:
		n := 1
		if in.Op == arm64asm.STP {
			n = 2
		}
		_, bits, _, _, _ := a64Reg(args[0])
		at, ok := slot(args[n])
		if !ok {
			if !global(args[n]) {
				st.slots = map[int64]value{} // it may be the stack through another register
			}
			return
		}
		if bits == 64 {
			for k := 0; k < n; k++ {
				st.slots[at+int64(k*8)] = get(args[k])
			}
			return
		}
		forget(at)
		return
	case arm64asm.LDR, arm64asm.LDUR, arm64asm.LDP:
		n := 1
		if in.Op == arm64asm.LDP {
			n = 2
		}
		_, bits, _, _, _ := a64Reg(args[0])
		if g, isGlobal := globalAddr(args[n]); isGlobal && n == 1 && bits == 64 {
			if _, imp := env.importAt(g); imp {
				set(args[0], constant(g|gotTag)) // a GOT slot's import, for a BLR
				return
			}
		}
		at, ok := slot(args[n])
		for k := 0; k < n; k++ {
			v := unknown
			if w, found := st.slots[at+int64(k*8)]; ok && bits == 64 && found {
				v = w
			}
			set(args[k], v)
		}
		return
	case arm64asm.SVC:
		if record {
			v := st.regs[a64X8]
			switch {
			case v.arg != 0:
				res.numArg = v.arg
			case v.top || v.arg != 0 || len(v.consts) == 0:
				res.unresolved = append(res.unresolved, fmt.Sprintf("SVC at %#x with a number computed at run time", in.pc))
			default:
				res.numbers = append(res.numbers, v.consts...)
			}
		}
		st.regs[a64X0] = unknown
		return
	case arm64asm.BL, arm64asm.B:
		if in.Op == arm64asm.B && !a64Unconditional(in.Inst) {
			return
		}
		if t, ok := a64Target(in.pc, in.Inst); ok {
			if name, ok := env.stubAt(t); ok {
				site(0, name)
			} else if in.Op == arm64asm.BL || t < lo || t >= hi {
				site(t, "")
			}
		}
		if in.Op == arm64asm.BL {
			st.a64Call()
		}
		return
	case arm64asm.BR, arm64asm.BLR:
		// A call through a GOT slot of an import (-fno-plt): the import.
		v := get(args[0])
		viaGOT := !v.top && v.arg == 0 && len(v.consts) > 0
		for _, c := range v.consts {
			name, ok := env.importAt(c &^ gotTag)
			if !ok || c&gotTag == 0 {
				viaGOT = false
				break
			}
			site(0, name)
		}
		if record && !viaGOT {
			res.indirect = true
		}
		if in.Op == arm64asm.BLR {
			st.a64Call()
		}
		return
	}
	if in.Op == arm64asm.MOVZ || in.Op == arm64asm.MOVN || (in.Op == arm64asm.MOV && enc>>23&0x3f == 0x25) {
		// Move wide immediate: sf opc(2) 100101 hw imm16 Rd.
		imm, hw := uint64(enc>>5&0xffff), uint(enc>>21&3)*16
		c := imm << hw
		if enc>>29&3 == 0 {
			c = ^c // MOVN
		}
		set(args[0], constant(c))
		return
	}
	// Anything else writes its first operand (two for the load pairs),
	// and a memory operand's write-back.
	if len(args) > 0 && args[0] != nil {
		set(args[0], unknown)
	}
	if strings.HasPrefix(in.Op.String(), "LD") && len(args) > 1 {
		if _, _, _, _, ok := a64Reg(args[1]); ok {
			set(args[1], unknown)
		}
	}
	for _, a := range args {
		if _, isMem := a.(arm64asm.MemImmediate); isMem {
			at, known := slot(a)
			switch {
			case !strings.HasPrefix(in.Op.String(), "ST") || global(a):
			case known:
				forget(at) // a partial store into the frame
			default:
				st.slots = map[int64]value{}
			}
		}
		if _, isExt := a.(arm64asm.MemExtend); isExt && strings.HasPrefix(in.Op.String(), "ST") {
			st.slots = map[int64]value{}
		}
	}
}

// gotTag marks a value loaded from a GOT slot that imports a function:
// the slot's address | gotTag.
const gotTag = 1 << 62

const (
	relocOther = iota
	relocSymbol
	relocRelative
)

// relocKind classes a relocation: one that puts a symbol's address in a
// slot (the GOT, data), one that puts the module's own address + addend.
func relocKind(mach elf.Machine, t uint32) int {
	switch mach {
	case elf.EM_X86_64:
		switch elf.R_X86_64(t) {
		case elf.R_X86_64_JMP_SLOT, elf.R_X86_64_GLOB_DAT, elf.R_X86_64_64:
			return relocSymbol
		case elf.R_X86_64_RELATIVE, elf.R_X86_64_IRELATIVE:
			return relocRelative
		}
	case elf.EM_AARCH64:
		switch elf.R_AARCH64(t) {
		case elf.R_AARCH64_JUMP_SLOT, elf.R_AARCH64_GLOB_DAT, elf.R_AARCH64_ABS64:
			return relocSymbol
		case elf.R_AARCH64_RELATIVE, elf.R_AARCH64_IRELATIVE:
			return relocRelative
		}
	}
	return relocOther
}

// readPLTARM64 maps the PLT stubs to their imports: each stub is
// "adrp x16, page; ldr x17, [x16, #off]; add x16, x16, #off; br x17",
// maybe after a "bti c".
func (m *module) readPLTARM64(f *elf.File) {
	s := f.Section(".plt")
	if s == nil {
		return
	}
	b, err := s.Data()
	if err != nil {
		return
	}
	var page uint64
	var stub uint64
	prevBTI := false
	for off := 0; off+4 <= len(b); off += 4 {
		pc := s.Addr + uint64(off)
		in, err := arm64asm.Decode(b[off:])
		if err != nil {
			prevBTI = false
			continue
		}
		switch in.Op {
		case arm64asm.ADRP:
			page = uint64(int64(pc&^0xfff) + signExtend(uint64(in.Enc>>5&0x7ffff)<<2|uint64(in.Enc>>29&3), 21)<<12)
			stub = pc
			if prevBTI {
				stub = pc - 4
			}
		case arm64asm.LDR:
			if base, o, mode, ok := a64Mem(in.Args[1]); ok && base == 16 && mode == arm64asm.AddrOffset {
				if n, ok := m.slots[page+uint64(o)]; ok {
					m.stubs[stub] = n
				}
			}
		}
		prevBTI = in.Op == arm64asm.HINT
	}
}

// sweepARM64 decodes the whole text once and adds every BL target to
// starts, and every text address formed by ADR or ADRP+ADD to m.taken.
func (m *module) sweepARM64(starts map[uint64]string) {
	var pages [31]uint64
	for off := 0; off+4 <= len(m.text); off += 4 {
		pc := m.textLo + uint64(off)
		in, err := arm64asm.Decode(m.text[off:])
		if err != nil {
			continue
		}
		enc := in.Enc
		switch in.Op {
		case arm64asm.BL:
			if t, ok := a64Target(pc, in); ok && m.inText(t) {
				if _, ok := starts[t]; !ok {
					starts[t] = ""
				}
			}
		case arm64asm.ADR:
			if t := uint64(int64(pc) + signExtend(uint64(enc>>5&0x7ffff)<<2|uint64(enc>>29&3), 21)); m.inText(t) {
				m.taken[t] = true
			}
		case arm64asm.ADRP:
			pages[enc&31%31] = uint64(int64(pc&^0xfff) + signExtend(uint64(enc>>5&0x7ffff)<<2|uint64(enc>>29&3), 21)<<12)
		case arm64asm.ADD:
			if enc>>23&0x3f == 0x22 && enc>>31 == 1 && enc>>22&1 == 0 {
				if rn := enc >> 5 & 31; rn < 31 && pages[rn] != 0 {
					if t := pages[rn] + uint64(enc>>10&0xfff); m.inText(t) {
						m.taken[t] = true
					}
				}
			}
		}
	}
}

// noReturnNames are functions that do not return: what follows a call
// to one is not reached from it (Go puts its stack-growth path there).
var noReturnNames = map[string]bool{
	"runtime.throw": true, "runtime.fatal": true, "runtime.fatalthrow": true, "runtime.fatalpanic": true,
	"runtime.gopanic": true, "runtime.panicwrap": true, "runtime.abort": true,
	"abort": true, "exit": true, "_exit": true, "_Exit": true, "__stack_chk_fail": true,
	"__assert_fail": true, "__libc_fatal": true, "__fortify_fail": true, "__chk_fail": true,
}

func noReturnName(name string) bool {
	if noReturnNames[name] || strings.HasPrefix(name, "runtime.panic") || strings.HasPrefix(name, "runtime.goPanic") {
		return true
	}
	// The standard library's packages get runtime.throw and fatal by
	// linkname ("internal/runtime/cgroup.throw", "sync.fatal"); a
	// package outside it (a dot in its first element, or main) may have
	// a throw that returns.
	pkg, fn, ok := cutLast(name, ".")
	first, _, _ := strings.Cut(pkg, "/")
	return ok && (fn == "throw" || fn == "fatal") && pkg != "main" && !strings.Contains(first, ".")
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
