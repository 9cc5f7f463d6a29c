package seccomp

import (
	"math"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// The ENOSYS answer is runc's (libcontainer/seccomp/patchbpf,
// generatePatch): a stub run before the filter proper that returns
// ERRNO(ENOSYS) for system calls newer than what the profile names, so
// that programs fall back from them as they would on an older kernel.

// ENOSYSCeiling returns the number above which the filters Compile
// builds from p answer ENOSYS on ABI a, as runc's stub does: the largest
// number on a of a name that some rule of p names, whatever the rule's
// action (private calls such as arm's set_tls included, x32 numbers with
// the x32 bit, mips numbers with their base). ok is false when there is
// no stub on a: when p's default action is ALLOW, LOG or TRACE (a program
// then reaches the kernel, which knows its own system calls), or when no
// name of p has a number above 0 on a. p must be resolved.
func ENOSYSCeiling(p *profile.Profile, a arch.Arch) (ceiling uint32, ok bool) {
	switch p.Default.Kind {
	case profile.ActAllow, profile.ActLog, profile.ActTrace:
		return 0, false
	}
	for _, r := range p.Rules {
		for _, n := range r.Names {
			// Names a only multiplexes (socketcall, ipc) resolve to
			// libseccomp's negative pseudo-numbers, which runc ignores.
			if nr, known := a.SyscallNumber(n); known && nr > ceiling {
				ceiling = nr
			}
		}
	}
	return ceiling, ceiling != 0
}

// StubENOSYS reports whether the ENOSYS stub of the filter Compile builds
// from p answers the system call nr of audit architecture audit before
// the filter proper sees it; arches are the ABIs the filter covers.
// Under AUDIT_ARCH_X86_64 the stub tells x32 from x86_64 by bit 30 of
// the number (runc's jset), and an ABI the filter does not cover has no
// stub. On s390 and s390x the stub also answers number 0, where the
// kernel leaves system calls it does not know.
func StubENOSYS(p *profile.Profile, arches []arch.Arch, audit, nr uint32) bool {
	a, known := arch.FromAudit(audit)
	if !known {
		return false
	}
	if audit == arch.X86_64.Audit() {
		a = arch.X86_64
		if nr&arch.X32SyscallBit != 0 {
			a = arch.X32
		}
	}
	if !slices.Contains(arches, a) {
		return false
	}
	c, ok := ENOSYSCeiling(p, a)
	if !ok {
		return false
	}
	if nr == 0 && (a == arch.S390 || a == arch.S390X) {
		return true
	}
	return nr > c
}

// span is an inclusive range of system-call numbers.
type span struct{ lo, hi uint32 }

func (s span) has(nr uint32) bool { return s.lo <= nr && nr <= s.hi }

// stubSpans returns the numbers the ENOSYS stub answers in blk, sorted:
// StubENOSYS laid out as ranges.
func (c *compiler) stubSpans(blk block) []span {
	if c.o.NoENOSYS {
		return nil
	}
	var out []span
	if blk.audit == arch.X86_64.Audit() {
		// Four quarters of the number space, bit 30 clear and set in turn.
		for q := uint64(0); q < 4; q++ {
			lo, hi := q<<30, q<<30|(1<<30-1)
			a := arch.X86_64
			if q&1 == 1 {
				a = arch.X32
			}
			if !slices.Contains(blk.abis, a) {
				continue
			}
			ceil, ok := ENOSYSCeiling(c.p, a)
			if !ok || uint64(ceil) >= hi {
				continue
			}
			out = append(out, span{uint32(max(lo, uint64(ceil)+1)), uint32(hi)})
		}
		return out
	}
	a := blk.abis[0]
	ceil, ok := ENOSYSCeiling(c.p, a)
	if !ok {
		return nil
	}
	if a == arch.S390 || a == arch.S390X {
		out = append(out, span{0, 0})
	}
	if ceil < math.MaxUint32 {
		out = append(out, span{ceil + 1, math.MaxUint32})
	}
	return out
}

// overlay lays the stub's spans over bg (sorted segments covering
// 0..2^32-1): numbers in a span get act.
func overlay(bg []segment, spans []span, act profile.Action) []segment {
	if len(spans) == 0 {
		return bg
	}
	var out []segment
	for _, g := range bg {
		lo := uint64(g.lo)
		for _, s := range spans {
			if uint64(s.hi) < lo || s.lo > g.hi {
				continue
			}
			if uint64(s.lo) > lo {
				out = append(out, segment{lo: uint32(lo), hi: s.lo - 1, act: g.act})
			}
			end := min(s.hi, g.hi)
			out = append(out, segment{lo: uint32(max(lo, uint64(s.lo))), hi: end, act: act})
			lo = uint64(end) + 1
		}
		if lo <= uint64(g.hi) {
			out = append(out, segment{lo: uint32(lo), hi: g.hi, act: g.act})
		}
	}
	return out
}
