package profile

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/syscage/syscage/arch"
)

// Edit is a change of a profile that keeps every rule it does not name:
// system-call names taken out of rules, then rules appended. A format
// package can apply it to a profile's text without rewriting the rest
// (oci.Edit); Apply applies it to the model.
type Edit struct {
	Remove []Removal // names taken out of rules; a rule left without names goes
	Append []Rule    // rules added after the others
}

// Removal takes Name out of rule Rule (an index into Profile.Rules).
type Removal struct {
	Rule int
	Name string
}

// Empty reports whether the edit changes nothing.
func (e Edit) Empty() bool { return len(e.Remove) == 0 && len(e.Append) == 0 }

// Apply returns a copy of p with the edit made.
func (e Edit) Apply(p *Profile) (*Profile, error) {
	q := p.Clone()
	emptied := map[int]bool{}
	for _, r := range e.Remove {
		if r.Rule < 0 || r.Rule >= len(q.Rules) {
			return nil, fmt.Errorf("edit: no rule %d", r.Rule+1)
		}
		rule := &q.Rules[r.Rule]
		if !slices.Contains(rule.Names, r.Name) {
			return nil, fmt.Errorf("edit: rule %d does not name %s", r.Rule+1, r.Name)
		}
		rule.Names = slices.DeleteFunc(rule.Names, func(n string) bool { return n == r.Name })
		emptied[r.Rule] = len(rule.Names) == 0
	}
	kept := q.Rules[:0]
	for i, r := range q.Rules {
		if !emptied[i] {
			kept = append(kept, r)
		}
	}
	q.Rules = append(kept, e.Append...)
	return q, nil
}

// SameExcept checks that p and q decide every system call of ABI a
// alike, with any arguments, except the calls named in except: their
// rules for every other call are the same conditions with the same
// actions in the same order, and their defaults are equal. It returns an
// error naming the first call that differs.
func SameExcept(p, q *Profile, a arch.Arch, except []string) error {
	tp, err := p.Table(a, TableOptions{})
	if err != nil {
		return err
	}
	tq, err := q.Table(a, TableOptions{})
	if err != nil {
		return err
	}
	if tp.Default != tq.Default {
		return fmt.Errorf("%s: default %v became %v", a, tp.Default, tq.Default)
	}
	keep := func(t *Table) []Entry {
		var out []Entry
		for _, e := range t.Syscalls {
			if slices.Contains(except, e.Name) {
				continue
			}
			e.Rules = slices.Clone(e.Rules)
			for i := range e.Rules {
				e.Rules[i].Origin = 0 // rule indexes move when a rule goes
			}
			out = append(out, e)
		}
		return out
	}
	ep, eq := keep(tp), keep(tq)
	for i := 0; i < max(len(ep), len(eq)); i++ {
		switch {
		case i >= len(ep):
			return fmt.Errorf("%s %s: no rule before, rules after", a, eq[i].Name)
		case i >= len(eq):
			return fmt.Errorf("%s %s: rules before, none after", a, ep[i].Name)
		case !reflect.DeepEqual(ep[i], eq[i]):
			return fmt.Errorf("%s %s: decided differently", a, ep[i].Name)
		}
	}
	return nil
}
