package proftest

import (
	"math/rand/v2"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// ArgHeavyNames are the system calls of ArgHeavy: calls with at
// most one int argument, which hardening can split without refusing.
var ArgHeavyNames = []string{"personality", "read", "write", "brk", "munmap", "madvise"}

// ArgHeavy returns n rules for x86_64, x86 and x32, each for one
// of a few system calls, with six conditions of random operators on
// random 64-bit values (with mixed actions when mixed): the class of
// profile whose argument checks once compiled to several times
// libseccomp's size, and hardened to more than the kernel takes.
func ArgHeavy(r *rand.Rand, n int, mixed bool) *profile.Profile {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86_64, arch.X86, arch.X32}}
	ops := []profile.Op{profile.OpEQ, profile.OpNE, profile.OpLT, profile.OpLE, profile.OpGT, profile.OpGE, profile.OpMaskedEQ}
	acts := []profile.Action{{Kind: profile.ActAllow}, {Kind: profile.ActLog}, {Kind: profile.ActErrno, Data: 5}}
	names := ArgHeavyNames
	for i := 0; i < n; i++ {
		var conds []profile.Cond
		for a := uint8(0); a <= profile.MaxArg; a++ {
			v := r.Uint64()
			switch r.IntN(5) { // some small values, some 32-bit ones
			case 0:
				v = uint64(r.IntN(64))
			case 1:
				v = uint64(r.Uint32())
			}
			c := profile.Cond{Arg: a, Op: ops[r.IntN(len(ops))], Value: v}
			if c.Op == profile.OpMaskedEQ {
				c.ValueTwo = v & r.Uint64()
			}
			conds = append(conds, c)
		}
		act := acts[0]
		if mixed {
			act = acts[r.IntN(len(acts))]
		}
		p.Rules = append(p.Rules, profile.Rule{Names: []string{names[r.IntN(len(names))]}, Action: act, Conds: conds})
	}
	return p
}
