package profile

import (
	"fmt"
	"slices"
	"sort"

	"github.com/syscage/syscage/arch"
)

// severity orders actions from the least severe (ALLOW) up; a larger value
// is stricter.
func severity(a Action) int { return int(ActAllow) - int(a.Kind) }

// permits reports whether a lets the system call run.
func permits(a Action) bool { return a.Kind == ActAllow || a.Kind == ActLog }

// Merge returns the union of profiles: a system call (with its arguments)
// that any of them lets run (ALLOW or LOG) runs under the result, on the
// union of their architectures, and everything no rule names gets the
// strictest of their default actions. ps must be resolved (see Resolve).
//
// The rules are the profiles' own rules, in order, with these changes: a
// rule whose action is its profile's default is dropped (runc skips it);
// conditional rules for a name some profile allows unconditionally are
// dropped (the unconditional rule decides); rules that stop a call (ERRNO,
// KILL, TRAP, TRACE, USER_NOTIF) are kept only for names no profile lets
// run in any case, since an unconditional deny would override an allow of
// another profile. So a call that one profile denied with its own action
// and another allowed only for some arguments gets the merged default for
// the other arguments.
//
// native is the ABI the filters are built for. Merge checks its result
// with Covers against each input on every covered ABI, and fails if
// libseccomp's rule merging would lose an allowance.
func Merge(native arch.Arch, ps ...*Profile) (*Profile, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: nothing to merge", ErrInvalid)
	}
	for i, p := range ps {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("profile %d: %w", i+1, err)
		}
		if p.Conditional() {
			return nil, fmt.Errorf("%w: profile %d has includes, excludes or archMap; resolve it first", ErrInvalid, i+1)
		}
	}
	out := &Profile{Default: ps[0].Default}
	unconditional := map[string]bool{} // names some profile allows with any arguments
	allowed := map[string]bool{}       // names some profile allows in some case
	for _, p := range ps {
		if severity(p.Default) > severity(out.Default) {
			out.Default = p.Default
		}
		for _, r := range p.Rules {
			if r.Action == p.Default || !permits(r.Action) {
				continue
			}
			for _, n := range r.Names {
				allowed[n] = true
				if len(r.Conds) == 0 {
					unconditional[n] = true
				}
			}
		}
		for _, a := range p.Arches {
			if !slices.Contains(out.Arches, a) {
				out.Arches = append(out.Arches, a)
			}
		}
		for _, f := range p.Flags {
			if !slices.Contains(out.Flags, f) {
				out.Flags = append(out.Flags, f)
			}
		}
		if out.ListenerPath == "" {
			out.ListenerPath, out.ListenerMetadata = p.ListenerPath, p.ListenerMetadata
		}
	}
	if len(out.Arches) > 0 && native != arch.Invalid && !slices.Contains(out.Arches, native) {
		// An empty list meant the native ABI; keep it covered.
		for _, p := range ps {
			if len(p.Arches) == 0 {
				out.Arches = slices.Insert(out.Arches, 0, native)
				break
			}
		}
	}
	for _, p := range ps {
		for _, r := range p.Rules {
			if r.Action == p.Default {
				continue
			}
			r = r.clone()
			r.Names = slices.DeleteFunc(r.Names, func(n string) bool {
				if permits(r.Action) {
					return len(r.Conds) > 0 && unconditional[n]
				}
				return allowed[n]
			})
			if len(r.Names) > 0 {
				out.Rules = append(out.Rules, r)
			}
		}
	}
	out.Normalize()
	for i, p := range ps {
		gaps, err := Covers(out, p, native)
		if err != nil {
			return nil, err
		}
		if len(gaps) > 0 {
			return nil, fmt.Errorf("%w: the merged rules lose what profile %d allows: %s", ErrInvalid, i+1, gaps[0])
		}
	}
	return out, nil
}

// Gap is a system call one profile lets run and another does not.
type Gap struct {
	Arch   arch.Arch
	Name   string
	Nr     uint32
	Args   [6]uint64 // an example of arguments
	Cond   bool      // whether the arguments matter (Args is an example)
	Action Action    // what the covering profile does instead
}

func (g Gap) String() string {
	s := fmt.Sprintf("%s %s", g.Arch, g.Name)
	if g.Cond {
		s += fmt.Sprintf(" with arguments %#x", g.Args)
	}
	return s + " is " + g.Action.String()
}

// Covers reports the system calls that other lets run (ALLOW or LOG) and
// p does not, on every ABI other covers, for filters built for native.
// Arguments are compared at the boundary values of both profiles'
// conditions (each value, its neighbours, 0 and the largest), which
// decides every comparison except masked ones exactly.
func Covers(p, other *Profile, native arch.Arch) ([]Gap, error) {
	covered := func(q *Profile) []arch.Arch {
		as := slices.Clone(q.Arches)
		if native != arch.Invalid && !slices.Contains(as, native) {
			as = append(as, native)
		}
		return as
	}
	pArches := covered(p)
	var gaps []Gap
	for _, a := range covered(other) {
		to, err := other.Table(a, TableOptions{})
		if err != nil {
			return nil, fmt.Errorf("profile on %s: %w", a, err)
		}
		if !slices.Contains(pArches, a) {
			if permits(to.Default) || len(to.Syscalls) > 0 {
				gaps = append(gaps, Gap{Arch: a, Name: "(every system call: the architecture is not covered)", Action: DefaultBadArch})
			}
			continue
		}
		tp, err := p.Table(a, TableOptions{})
		if err != nil {
			return nil, fmt.Errorf("profile on %s: %w", a, err)
		}
		for _, sc := range a.Syscalls() {
			eo, hasO := to.Lookup(sc.Nr)
			ep, hasP := tp.Lookup(sc.Nr)
			if !hasO {
				eo = Entry{Nr: sc.Nr, Action: to.Default}
			}
			if !hasP {
				ep = Entry{Nr: sc.Nr, Action: tp.Default}
			}
			if len(eo.Rules) == 0 && !permits(eo.Action) {
				continue
			}
			if len(eo.Rules) == 0 && len(ep.Rules) == 0 {
				if !permits(ep.Action) {
					gaps = append(gaps, Gap{Arch: a, Name: sc.Name, Nr: sc.Nr, Action: ep.Action})
				}
				continue
			}
			if g, ok := argGap(a, sc, eo, ep); ok {
				gaps = append(gaps, g)
			}
		}
	}
	return gaps, nil
}

// argGap looks for arguments that eo lets run and ep does not.
func argGap(a arch.Arch, sc arch.Syscall, eo, ep Entry) (Gap, bool) {
	max := uint64(1<<64 - 1)
	if a.Bits() == 32 {
		max = 1<<32 - 1
	}
	vals := map[uint8]map[uint64]bool{}
	note := func(c Cond) {
		m := vals[c.Arg]
		if m == nil {
			m = map[uint64]bool{0: true, max: true}
			vals[c.Arg] = m
		}
		for _, v := range []uint64{c.Value, c.ValueTwo & c.Value, c.ValueTwo} {
			v &= max
			m[v] = true
			m[(v-1)&max] = true
			m[(v+1)&max] = true
		}
		if c.Op == OpMaskedEQ {
			m[^c.Value&max] = true
			m[(c.ValueTwo&c.Value)|(^c.Value&max)] = true
		}
	}
	for _, r := range eo.Rules {
		for _, c := range r.Conds {
			note(c)
		}
	}
	for _, r := range ep.Rules {
		for _, c := range r.Conds {
			note(c)
		}
	}
	idx := make([]uint8, 0, len(vals))
	lists := map[uint8][]uint64{}
	for i, m := range vals {
		idx = append(idx, i)
		for v := range m {
			lists[i] = append(lists[i], v)
		}
		slices.Sort(lists[i])
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	var args [6]uint64
	const budget = 1 << 16
	n := 0
	var walk func(k int) (Gap, bool)
	walk = func(k int) (Gap, bool) {
		if n >= budget {
			return Gap{}, false
		}
		if k == len(idx) {
			n++
			if permits(eo.Decide(a, args)) {
				if act := ep.Decide(a, args); !permits(act) {
					return Gap{Arch: a, Name: sc.Name, Nr: sc.Nr, Args: args, Cond: true, Action: act}, true
				}
			}
			return Gap{}, false
		}
		for _, v := range lists[idx[k]] {
			args[idx[k]] = v
			if g, ok := walk(k + 1); ok {
				return g, true
			}
		}
		return Gap{}, false
	}
	return walk(0)
}
