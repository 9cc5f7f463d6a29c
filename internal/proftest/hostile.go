package proftest

import (
	"math/rand/v2"

	"github.com/syscage/syscage/profile"
)

// Hostile returns n rules for personality(2), each with a condition on
// every argument: ops[(i+arg)%len(ops)] against values from r (64-bit ones
// when wide, else 32-bit), the action ALLOW or, when mixed, ALLOW, LOG and
// TRAP in turn; the default action is ERRNO(1) and Arches is empty. Such
// rules have exponentially many paths through libseccomp's rule tree: the
// profiles bound the work of syscage's model of it and of its compiler.
func Hostile(r *rand.Rand, n int, ops []profile.Op, wide, mixed bool) *profile.Profile {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}}
	acts := []profile.Action{{Kind: profile.ActAllow}, {Kind: profile.ActLog}, {Kind: profile.ActTrap}}
	for i := 0; i < n; i++ {
		var conds []profile.Cond
		for a := uint8(0); a <= profile.MaxArg; a++ {
			v := uint64(r.Uint32())
			if wide {
				v = r.Uint64()
			}
			c := profile.Cond{Arg: a, Op: ops[(i+int(a))%len(ops)], Value: v}
			if c.Op == profile.OpMaskedEQ {
				c.ValueTwo = v & r.Uint64()
			}
			conds = append(conds, c)
		}
		act := acts[0]
		if mixed {
			act = acts[i%len(acts)]
		}
		p.Rules = append(p.Rules, profile.Rule{Names: []string{"personality"}, Action: act, Conds: conds})
	}
	return p
}
