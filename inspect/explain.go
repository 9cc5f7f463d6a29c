package inspect

import (
	"errors"
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
	// Others is how many of the ABI's system calls no rule names and
	// get Default.
	Others int
	// Beyond is the first number the ENOSYS stub answers (runc's, see
	// seccomp.ENOSYSCeiling): the one above the largest the profile
	// names on the ABI; 0 when there is no stub. On s390 and s390x the
	// stub answers 0 as well.
	Beyond uint32
	// Stubbed is how many of the ABI's system calls the stub answers.
	Stubbed int
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
	// Why are the comments of the rules that give Names this action (a
	// recorded profile's reasons), each with the names it covers; names
	// whose rule has no comment are in none.
	Why []Why
}

// Why is the comment of a rule and the system calls of a group it
// decides.
type Why struct {
	Names   []string
	Comment string
}

// ErrNotCovered reports an ABI a profile does not cover on a kernel.
var ErrNotCovered = errors.New("does not cover")

// ExplainOn is Explain for the ABI a only: an error wrapping
// ErrNotCovered, saying what every call of a gets, when p does not
// cover a on host kernels.
func ExplainOn(p *profile.Profile, host, a arch.Arch) (Explanation, error) {
	exs, err := Explain(p, host)
	if err != nil {
		return Explanation{}, err
	}
	for _, ex := range exs {
		if ex.Arch == a {
			return ex, nil
		}
	}
	return Explanation{}, fmt.Errorf("%w %s on %s kernels: every %s system call gets %s", ErrNotCovered, a, host, a, profile.DefaultBadArch)
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
		ex := Explanation{Arch: a, Default: t.Default, Skipped: t.Unknown}
		if c, ok := seccomp.ENOSYSCeiling(p, a); ok {
			ex.Beyond = c + 1
		}
		stubbed := func(nr uint32) bool { return seccomp.StubENOSYS(p, arches, a.Audit(), nr) }
		index := map[string]int{}
		// add puts name in the group of act under when; rule is the
		// profile rule that decides it there (or < 0).
		add := func(act profile.Action, when, name string, rule int) {
			k := act.String() + "\x00" + when
			i, ok := index[k]
			if !ok {
				i = len(ex.Groups)
				index[k] = i
				ex.Groups = append(ex.Groups, ActionGroup{Action: act, When: when})
			}
			g := &ex.Groups[i]
			g.Names = append(g.Names, name)
			if rule < 0 || rule >= len(p.Rules) || p.Rules[rule].Comment == "" {
				return
			}
			c := p.Rules[rule].Comment
			j := slices.IndexFunc(g.Why, func(w Why) bool { return w.Comment == c })
			if j < 0 {
				j = len(g.Why)
				g.Why = append(g.Why, Why{Comment: c})
			}
			if !slices.Contains(g.Why[j].Names, name) {
				g.Why[j].Names = append(g.Why[j].Names, name)
			}
		}
		for _, e := range t.Syscalls {
			if stubbed(e.Nr) {
				continue // counted below
			}
			name := e.Name
			if name == "" {
				name = fmt.Sprintf("#%d", e.Nr)
			}
			if len(e.Rules) == 0 {
				rule := -1
				if v, err := profile.Explain(p, host, profile.Data{Nr: e.Nr, Arch: a.Audit()}); err == nil {
					rule = v.Rule
				}
				add(e.Action, "", name, rule)
				continue
			}
			for _, r := range e.Rules {
				var cs []string
				for _, c := range r.Conds {
					cs = append(cs, c.String())
				}
				add(r.Action, strings.Join(cs, " && "), name, r.Origin)
			}
			add(e.Fallback, "otherwise", name, -1)
		}
		for _, s := range a.Syscalls() {
			switch {
			case stubbed(s.Nr):
				ex.Stubbed++
			case !t.Has(s.Nr):
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

// ENOSYS is the errno of the stub for numbers above what the profile names.
const ENOSYS = seccomp.ENOSYS
