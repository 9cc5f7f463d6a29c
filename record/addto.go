package record

import (
	"fmt"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// Addition is what AddTo did, or did not do, for one recorded call.
type Addition struct {
	Arch arch.Arch
	Name string
	// Undenied names the rules of the profile that denied the call
	// without conditions, from which the name was taken out: they decided
	// the call (an unconditional rule decides alone, so an ALLOW beside
	// it would not count).
	Undenied []int
	// Wider names the rules that allow the call only under conditions:
	// the rule added allows it without them (the recording has no
	// argument values for it, as a log has none).
	Wider []int
	// Guards names the rules that deny the call under conditions. When
	// the recording has no argument values for the call, nothing is
	// added: an unconditional allow would override them, and nothing
	// tells whether the program made the call the guards deny. Added is
	// false then.
	Guards []int
	Added  bool
}

// AddTo returns a copy of p that also allows what r recorded, and what
// it did for each call. p must be resolved (no includes, excludes or
// archMap); native is the ABI p's filter is built for. It is Plan's edit
// applied to p.
func (r *Recording) AddTo(p *profile.Profile, native arch.Arch) (*profile.Profile, []Addition, error) {
	edit, adds, err := r.Plan(p, native, "")
	if err != nil {
		return nil, nil, err
	}
	q, err := edit.Apply(p)
	if err != nil {
		return nil, nil, err
	}
	q.Arches = planArches(p, r, native)
	return q, adds, nil
}

// Plan works out how to make p allow what r recorded while changing as
// little as possible: a call p already allows unconditionally on its ABI
// is left alone; a call that a rule denies without conditions is taken
// out of that rule (the rule that decided it), never out of another; a
// call that rules deny under conditions is added only under the
// recorded argument values, never by an allow that would override the
// denying conditions; the calls are allowed by rules as
// Recording.Profile builds them (argument rules where r has argument
// values), appended after p's rules. p's default action is kept.
//
// The ABIs r saw must be added to p's architectures as well (AddTo
// does); an Edit holds rules only. The rules added carry comment.
func (r *Recording) Plan(p *profile.Profile, native arch.Arch, comment string) (profile.Edit, []Addition, error) {
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
	var edit profile.Edit
	var adds []Addition
	removed := map[profile.Removal]bool{}
	for _, c := range r.Calls() {
		t, err := table(c.Arch)
		if err != nil {
			return profile.Edit{}, nil, fmt.Errorf("profile on %s: %w", c.Arch, err)
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
		for i, rule := range p.Rules {
			if !slices.Contains(rule.Names, c.Name) || rule.Action == p.Default {
				continue // runc skips rules with the default's action
			}
			switch {
			case len(rule.Conds) > 0 && rule.Action.Permits():
				a.Wider = append(a.Wider, i)
			case len(rule.Conds) > 0:
				a.Guards = append(a.Guards, i)
			case !rule.Action.Permits():
				a.Undenied = append(a.Undenied, i)
			}
		}
		unconditional := c.Values == nil
		if !unconditional {
			a.Wider = nil
		}
		if p.Default == allow {
			// Taking the call out of the rules that deny it without
			// conditions is all it takes; rules with the default's
			// action count for nothing.
			a.Wider = nil
		} else if unconditional && len(a.Guards) > 0 {
			a.Undenied = nil
			adds = append(adds, a)
			continue
		}
		a.Added = true
		for _, i := range a.Undenied {
			rm := profile.Removal{Rule: i, Name: c.Name}
			if !removed[rm] {
				removed[rm] = true
				edit.Remove = append(edit.Remove, rm)
			}
		}
		adds = append(adds, a)
		if p.Default != allow {
			k := callKey{c.Arch, c.Name}
			need.calls[k] = r.calls[k]
		}
	}
	if need.Len() > 0 {
		edit.Append = need.profile(ProfileOptions{Default: p.Default, Comment: comment}, false).Rules
	}
	return edit, adds, nil
}

// planArches returns p's architectures with the ABIs r saw added.
func planArches(p *profile.Profile, r *Recording, native arch.Arch) []arch.Arch {
	out := slices.Clone(p.Arches)
	for _, c := range r.Calls() {
		if c.Arch != native && !slices.Contains(out, c.Arch) {
			if len(out) == 0 && native != arch.Invalid {
				out = append(out, native)
			}
			out = append(out, c.Arch)
		}
	}
	return out
}
