// Package formattest checks that two profiles mean the same: it compares
// profile.Evaluate on every system call of every ABI the filters cover,
// with argument values around every condition of either profile.
package formattest

import (
	"fmt"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
)

// SameVerdicts returns nil when p and q, both resolved, give every input
// the same action on host, and otherwise the first difference. It also
// returns how many system calls it compared.
func SameVerdicts(p, q *profile.Profile, host arch.Arch) (int, error) {
	ap, aq := proftest.Covered(p, host), proftest.Covered(q, host)
	slices.Sort(ap)
	slices.Sort(aq)
	if !slices.Equal(ap, aq) {
		return 0, fmt.Errorf("the filters cover different ABIs: %v and %v", ap, aq)
	}
	n := 0
	for _, a := range ap {
		inputs := append(proftest.Inputs(p, a), proftest.Inputs(q, a)...)
		for _, in := range inputs {
			d := profile.Data{Nr: uint32(in.Nr), Arch: in.Arch, Args: in.Args}
			x, errx := profile.Evaluate(p, host, d)
			y, erry := profile.Evaluate(q, host, d)
			if (errx == nil) != (erry == nil) || x != y {
				name, _ := a.SyscallName(d.Nr)
				return n, fmt.Errorf("%s nr %d (%s) args %#x: %v (%v) versus %v (%v)", a, d.Nr, name, d.Args, x, errx, y, erry)
			}
			n++
		}
	}
	return n, nil
}
