package record

import (
	"fmt"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// Addition is one change AddTo made.
type Addition struct {
	Arch arch.Arch
	Name string
	// Undenied names the rules of the profile that denied the call, from
	// which the name was removed (an unconditional rule decides alone, so
	// an ALLOW after it would not count).
	Undenied []int
}

// AddTo returns a copy of p that also allows what r recorded, and the
// calls it had to add. p must be resolved (no includes, excludes or
// archMap); native is the ABI p's filter is built for. The ABIs r saw are
// added to p's architectures; a call p already allows unconditionally on
// its ABI is left alone; the others are allowed by rules as
// Recording.Profile builds them (with argument rules when r has argument
// values), after removing the call's name from rules that deny it. p's
// default action is kept.
func (r *Recording) AddTo(p *profile.Profile, native arch.Arch) (*profile.Profile, []Addition, error) {
	q := p.Clone()
	tables := map[arch.Arch]*profile.Table{}
	table := func(a arch.Arch) (*profile.Table, error) {
		if t, ok := tables[a]; ok {
			return t, nil
		}
		t, err := p.Table(a, profile.TableOptions{})
		if err != nil {
			return nil, err
		}
		tables[a] = t
		return t, nil
	}
	allow := profile.Action{Kind: profile.ActAllow}
	need := New(r.Native)
	var adds []Addition
	for _, c := range r.Calls() {
		if c.Arch != native && !slices.Contains(q.Arches, c.Arch) {
			if len(q.Arches) == 0 && native != arch.Invalid {
				q.Arches = append(q.Arches, native)
			}
			q.Arches = append(q.Arches, c.Arch)
		}
		t, err := table(c.Arch)
		if err != nil {
			return nil, nil, fmt.Errorf("profile on %s: %w", c.Arch, err)
		}
		nr, ok := c.Arch.SyscallNumber(c.Name)
		if !ok {
			if m, ok2 := c.Arch.Multiplexed(c.Name); ok2 {
				nr, ok = m.Nr, true
			}
		}
		if ok {
			e, has := t.Lookup(nr)
			if has && len(e.Rules) == 0 && e.Action == allow || !has && p.Default == allow {
				continue
			}
		}
		a := Addition{Arch: c.Arch, Name: c.Name}
		for i := range q.Rules {
			rule := &q.Rules[i]
			if rule.Action == allow || rule.Action == q.Default || len(rule.Conds) > 0 || !slices.Contains(rule.Names, c.Name) {
				continue
			}
			rule.Names = slices.DeleteFunc(rule.Names, func(n string) bool { return n == c.Name })
			a.Undenied = append(a.Undenied, i)
		}
		adds = append(adds, a)
		k := callKey{c.Arch, c.Name}
		need.calls[k] = r.calls[k]
	}
	q.Rules = slices.DeleteFunc(q.Rules, func(r profile.Rule) bool { return len(r.Names) == 0 })
	if need.Len() > 0 {
		add := need.Profile(ProfileOptions{Default: q.Default})
		q.Rules = append(q.Rules, add.Rules...)
	}
	return q, adds, nil
}
