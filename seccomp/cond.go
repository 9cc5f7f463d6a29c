package seccomp

import (
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// argOffsets returns the seccomp_data offsets of the low and high 32-bit
// words of argument i on a: the kernel stores each argument as a u64 in
// the ABI's byte order.
func argOffsets(a arch.Arch, i uint8) (lo, hi uint32) {
	base := OffsetArgs + 8*uint32(i)
	if a.BigEndian() {
		return base + 4, base
	}
	return base, base + 4
}

// condCode emits the argument checks of a conditional system call: its
// rules in order, the first whose conditions all hold deciding, and the
// fallback when none does.
func (c *compiler) condCode(a arch.Arch, e profile.Entry) {
	b := c.b
	for i, r := range e.Rules {
		b.SetNote(fmt.Sprintf("%s: %s rule %d", a, e.Name, r.Origin+1))
		pass := c.ret(r.Action)
		if len(r.Conds) == 0 {
			// A rule without conditions decides every call that reaches
			// it; later rules are unreachable.
			b.Goto(pass)
			return
		}
		next := b.NewLabel()
		for j, cond := range r.Conds {
			ok := pass
			if j < len(r.Conds)-1 {
				ok = b.NewLabel()
			}
			c.cmp(a, cond, ok, next)
			if j < len(r.Conds)-1 {
				b.Bind(ok)
			}
		}
		b.Bind(next)
		_ = i
	}
	b.SetNote(fmt.Sprintf("%s: %s no rule matched", a, e.Name))
	b.Goto(c.ret(e.Fallback))
}

// cmp emits a comparison of one argument that jumps to pass when cond
// holds and to fail otherwise. Arguments are 64-bit and BPF words 32-bit:
// the high word decides unless it is equal, then the low word decides. On
// 32-bit ABIs only the low word is compared, as libseccomp does.
func (c *compiler) cmp(a arch.Arch, cond profile.Cond, pass, fail bpf.Label) {
	b := c.b
	loOff, hiOff := argOffsets(a, cond.Arg)
	v := cond.Value
	if cond.Op == profile.OpMaskedEQ {
		v = cond.ValueTwo & cond.Value
	}
	vlo, vhi := uint32(v), uint32(v>>32)
	wide := a.Bits() == 64
	switch cond.Op {
	case profile.OpEQ, profile.OpNE:
		t, f := pass, fail
		if cond.Op == profile.OpNE {
			t, f = fail, pass
		}
		if wide {
			next := b.NewLabel()
			b.LoadAbs(hiOff)
			b.JumpIf(bpf.BPF_JEQ, vhi, next, f)
			b.Bind(next)
		}
		b.LoadAbs(loOff)
		b.JumpIf(bpf.BPF_JEQ, vlo, t, f)
	case profile.OpMaskedEQ:
		m := cond.Value
		mlo, mhi := uint32(m), uint32(m>>32)
		if wide {
			next := b.NewLabel()
			b.LoadAbs(hiOff)
			if mhi != 0xffffffff {
				b.And(mhi)
			}
			b.JumpIf(bpf.BPF_JEQ, vhi, next, fail)
			b.Bind(next)
		}
		b.LoadAbs(loOff)
		if mlo != 0xffffffff {
			b.And(mlo)
		}
		b.JumpIf(bpf.BPF_JEQ, vlo, pass, fail)
	case profile.OpGT, profile.OpGE, profile.OpLT, profile.OpLE:
		// LT is !GE and LE is !GT: swap the targets.
		t, f := pass, fail
		op := uint16(bpf.BPF_JGT)
		switch cond.Op {
		case profile.OpGE:
			op = bpf.BPF_JGE
		case profile.OpLT:
			op, t, f = bpf.BPF_JGE, fail, pass
		case profile.OpLE:
			t, f = fail, pass
		}
		if wide {
			eq, lo := b.NewLabel(), b.NewLabel()
			b.LoadAbs(hiOff)
			b.JumpIf(bpf.BPF_JGT, vhi, t, eq)
			b.Bind(eq)
			b.JumpIf(bpf.BPF_JEQ, vhi, lo, f)
			b.Bind(lo)
		}
		b.LoadAbs(loOff)
		b.JumpIf(op, vlo, t, f)
	default:
		panic(fmt.Sprintf("seccomp: unknown operator %d", cond.Op))
	}
}
