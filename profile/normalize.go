package profile

import (
	"slices"

	"github.com/syscage/syscage/arch"
)

// Normalize rewrites p in place into a canonical form with the same
// meaning under runc and libseccomp:
//
//   - the names of each rule sorted and without duplicates;
//   - rules whose action is the default dropped (runc skips them);
//   - a rule merged into an earlier one with the same action, conditions,
//     comment, includes and excludes, unless a rule between them names one
//     of its system calls (or one multiplexed with them through
//     socketcall or ipc): libseccomp's result can depend on the order in
//     which rules for one system call arrive;
//   - duplicate architectures and flags dropped.
//
// Conditions are kept as written: their order and repetitions decide how
// runc groups them. Normalize is idempotent.
func (p *Profile) Normalize() {
	p.Arches = dedupe(p.Arches)
	p.Flags = dedupe(p.Flags)
	for i := range p.ArchMap {
		p.ArchMap[i].Sub = dedupe(p.ArchMap[i].Sub)
	}
	var out []Rule
	for _, r := range p.Rules {
		if r.Action == p.Default {
			continue
		}
		r.Names = sortedNames(r.Names)
		keys := conflictKeys(r.Names)
		merged := false
		for j := len(out) - 1; j >= 0; j-- {
			if sameShape(out[j], r) {
				out[j].Names = sortedNames(append(out[j].Names, r.Names...))
				merged = true
				break
			}
			if conflicts(conflictKeys(out[j].Names), keys) {
				break
			}
		}
		if !merged {
			out = append(out, r)
		}
	}
	p.Rules = out
}

func dedupe[T comparable](s []T) []T {
	if s == nil {
		return nil
	}
	seen := map[T]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func sortedNames(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return slices.Compact(s)
}

// conflictKeys names what the rules of names touch: the names, and the
// multiplexer of those that libseccomp also routes through socketcall(2)
// or ipc(2).
func conflictKeys(names []string) map[string]bool {
	k := map[string]bool{}
	for _, n := range names {
		k[n] = true
		if m, ok := arch.X86.Multiplexed(n); ok {
			k[m.Syscall] = true
		}
	}
	return k
}

func conflicts(a, b map[string]bool) bool {
	for k := range b {
		if a[k] {
			return true
		}
	}
	return false
}

func sameShape(a, b Rule) bool {
	return a.Action == b.Action && slices.Equal(a.Conds, b.Conds) && a.Comment == b.Comment &&
		sameFilter(a.Includes, b.Includes) && sameFilter(a.Excludes, b.Excludes)
}

func sameFilter(a, b Filter) bool {
	return slices.Equal(a.Caps, b.Caps) && slices.Equal(a.Arches, b.Arches) && a.MinKernel == b.MinKernel
}
