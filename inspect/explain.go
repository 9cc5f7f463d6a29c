package inspect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Explanation is what a profile does on one ABI.
type Explanation struct {
	Arch    arch.Arch
	Default profile.Action
	Groups  []ActionGroup // by action, then by conditions
	// Others is how many of the ABI's system calls no rule names (they
	// get Default).
	Others int
	// Beyond is the first number above the ABI's table: from there on,
	// numbers no rule names get ENOSYS.
	Beyond uint32
	// Skipped are names of the profile the ABI does not have.
	Skipped []string
}

// ActionGroup is the system calls that get one action under one
// condition.
type ActionGroup struct {
	Action profile.Action
	// When is the condition in C-like notation ("arg0 == 0x8"), "" for
	// always, "otherwise" for the fallback of conditional rules.
	When  string
	Names []string // in number order
}

// Explain says, per covered ABI of p on a kernel whose native ABI is
// host, which system calls get which action under which conditions. p
// must be resolved.
func Explain(p *profile.Profile, host arch.Arch) ([]Explanation, error) {
	arches := append([]arch.Arch{host}, p.Arches...)
	var out []Explanation
	seen := map[arch.Arch]bool{}
	for _, a := range arches {
		if seen[a] {
			continue
		}
		seen[a] = true
		t, err := p.Table(a, profile.TableOptions{})
		if err != nil {
			return nil, fmt.Errorf("explain on %s: %w", a, err)
		}
		ex := Explanation{Arch: a, Default: t.Default, Beyond: a.MaxSyscall() + 1, Skipped: t.Unknown}
		index := map[string]int{}
		add := func(act profile.Action, when, name string) {
			k := act.String() + "\x00" + when
			i, ok := index[k]
			if !ok {
				i = len(ex.Groups)
				index[k] = i
				ex.Groups = append(ex.Groups, ActionGroup{Action: act, When: when})
			}
			ex.Groups[i].Names = append(ex.Groups[i].Names, name)
		}
		for _, e := range t.Syscalls {
			name := e.Name
			if name == "" {
				name = fmt.Sprintf("#%d", e.Nr)
			}
			if len(e.Rules) == 0 {
				add(e.Action, "", name)
				continue
			}
			for _, r := range e.Rules {
				var cs []string
				for _, c := range r.Conds {
					cs = append(cs, c.String())
				}
				add(r.Action, strings.Join(cs, " && "), name)
			}
			add(e.Fallback, "otherwise", name)
		}
		for _, s := range a.Syscalls() {
			if !t.Has(s.Nr) {
				ex.Others++
			}
		}
		// Unconditional groups first, then conditions; each by action
		// from the most to the least permissive.
		slices.SortStableFunc(ex.Groups, func(x, y ActionGroup) int {
			cx, cy := x.When != "", y.When != ""
			if cx != cy {
				if cx {
					return 1
				}
				return -1
			}
			return int(y.Action.Kind) - int(x.Action.Kind)
		})
		out = append(out, ex)
	}
	return out, nil
}

// ENOSYS is the errno for numbers above the tables.
const ENOSYS = seccomp.ENOSYS
