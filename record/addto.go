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
	// without conditions, from which the name was taken out: the rule
	// that decided it, and those it hid (an unconditional rule decides
	// alone, so they decided nothing for the call).
	Undenied []int
	// Wider names the rules that allowed the call only under
	// conditions: the rule added allows it without them (the recording
	// has no argument values for it, as a log has none).
	Wider []int
	// Guards names the rules that deny the call under conditions. When
	// Added is false, they are why: nothing tells whether the program
	// made the calls they deny, and an allow would override them; when
	// Added, they still deny the calls they match (they were hidden by
	// the rule the name was taken out of).
	Guards []int
	// Beyond are the other calls the edit lets run as well: a rule names
	// a call on every ABI the profile covers (and, on ABIs that multiplex
	// socket and IPC calls, through socketcall(2) or ipc(2) too), and an
	// allow added without argument conditions allows any arguments.
	Beyond []Beyond
	// AnyArgs reports that the call was recorded with argument values
	// but the rule added allows any: a call of that name was recorded
	// without values, or on an ABI where it goes through socketcall(2)
	// or ipc(2) (the rules added name calls on every ABI).
	AnyArgs bool
	// Why says why nothing was added when no guard is the reason.
	Why   string
	Added bool
}

// Beyond is a system call an edit lets run that was not recorded.
type Beyond struct {
	Arch arch.Arch
	Name string
	// Some reports that only some of its arguments are let run; Args is
	// an example of them.
	Some bool
	Args [6]uint64
}

func (b Beyond) String() string {
	s := b.Arch.String() + " " + b.Name
	if sub, ok := arch.SubcallName(b.Name, uint32(b.Args[0])&0xffff); ok && b.Some {
		return s + "(" + sub + ")"
	}
	if b.Some {
		s += fmt.Sprintf(" (arguments such as %#x)", b.Args)
	}
	return s
}

// AddTo returns a copy of p that also allows what r recorded, and what
// it did for each call. p must be resolved (no includes, excludes or
// archMap); native is the ABI p's filter is built for. It is Plan's edit
// applied to p, with the ABIs r saw added to p's architectures.
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
// little as possible, and proves it. For each call it finds, exactly
// (profile.Outcomes), the verdicts p gives it for the arguments recorded
// (any arguments when r has none for it), and:
//
//   - a call p already lets run is left alone;
//   - a call that one rule denies without conditions (an unconditional
//     entry decides the call alone) is taken out of that rule, and out
//     of the unconditional denies it hid;
//   - a call that the default action denies is allowed by a rule
//     appended after p's rules (under the recorded argument values when
//     every call of that name has them, as Recording.Profile builds
//     rules);
//   - a call that a rule with conditions denies (a guard), or that more
//     than one rule or a rule and the default deny, is not added: the
//     rule that decided the call is unknown, and no deny that did not
//     decide it is ever taken out or overridden. A deny is never taken
//     out of a rule with conditions.
//
// Each step is then proven (profile.Compare) on every ABI the filter
// covers: the edited profile decides every other call, and every other
// argument class, as p does, except calls it now lets run that the rule
// or the default that decided a recorded call denied, which are listed
// in Addition.Beyond. A call whose edit fails the proof is not added,
// and Addition.Why says why. p's default action is kept.
//
// The ABIs r saw must be added to p's architectures as well (AddTo
// does); an Edit holds rules only. The rules added carry comment.
func (r *Recording) Plan(p *profile.Profile, native arch.Arch, comment string) (profile.Edit, []Addition, error) {
	base := p.Clone()
	base.Arches = planArches(p, r, native)
	if err := base.Validate(); err != nil {
		return profile.Edit{}, nil, err
	}
	abis := slices.Clone(base.Arches)
	if native != arch.Invalid && !slices.Contains(abis, native) {
		abis = append(abis, native)
	}
	allow := profile.Action{Kind: profile.ActAllow}
	calls := r.Calls()
	// A name's values count only when every call of it has them, at the
	// same indexes, each on an ABI where the name is a system call of
	// its own: the rules added name calls on every ABI.
	valued := map[string]bool{}
	for _, c := range calls {
		if _, seen := valued[c.Name]; !seen {
			valued[c.Name] = true
		}
		for _, d := range calls {
			_, direct := d.Arch.SyscallNumber(d.Name)
			if d.Name == c.Name && (d.Values == nil || !direct || !slices.Equal(d.ArgIndexes, c.ArgIndexes)) {
				valued[c.Name] = false
			}
		}
	}

	var edit profile.Edit
	var adds []Addition
	var done []*planned
	for _, c := range calls {
		t := &planned{call: c}
		nr, ok := c.Arch.SyscallNumber(c.Name)
		var base0 []profile.Cond
		if !ok {
			m, okM := c.Arch.Multiplexed(c.Name)
			if !okM {
				adds = append(adds, Addition{Arch: c.Arch, Name: c.Name, Why: "no system call of that name on " + c.Arch.String()})
				continue
			}
			nr, base0 = m.Nr, []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: uint64(m.Call)}}
		}
		t.nr = nr
		if valued[c.Name] {
			for _, v := range c.Values {
				conds := slices.Clone(base0)
				for i, k := range c.ArgIndexes {
					conds = append(conds, profile.Cond{Arg: k, Op: profile.OpEQ, Value: v[i]})
				}
				t.within = append(t.within, conds)
			}
		} else {
			t.within = [][]profile.Cond{base0}
		}
		before, err := t.outcomes(base, native)
		if err != nil {
			adds = append(adds, Addition{Arch: c.Arch, Name: c.Name, Why: err.Error()})
			continue
		}
		if allPermit(before) {
			continue
		}
		a := Addition{Arch: c.Arch, Name: c.Name}
		tent := profile.Edit{Remove: slices.Clone(edit.Remove), Append: slices.Clone(edit.Append)}
		appended := false
		var why error
		for range len(base.Rules) + 2 {
			q, idx, err := applyIndexed(tent, base)
			if err != nil {
				return profile.Edit{}, nil, err
			}
			outs, err := t.outcomes(q, native)
			if err != nil {
				why = err
				break
			}
			var denies []profile.Outcome
			byDefault := false
			for _, o := range outs {
				if !o.Action.Permits() {
					denies = append(denies, o)
					byDefault = byDefault || o.Rule == profile.DecidedByDefault
				}
			}
			if len(denies) == 0 {
				a.Added = true
				break
			}
			if len(denies) == 1 && denies[0].Rule >= 0 && idx[denies[0].Rule] >= 0 {
				i := idx[denies[0].Rule]
				if rule := q.Rules[denies[0].Rule]; len(rule.Conds) == 0 && slices.Contains(rule.Names, c.Name) {
					tent.Remove = append(tent.Remove, profile.Removal{Rule: i, Name: c.Name})
					a.Undenied = append(a.Undenied, i)
					t.deciders = append(t.deciders, i)
					continue
				}
			}
			if byDefault && !appended && len(denies) == 1 {
				appended = true
				t.deciders = append(t.deciders, profile.DecidedByDefault)
				for _, conds := range t.within {
					rule := profile.Rule{Names: []string{c.Name}, Action: allow, Comment: comment}
					if valued[c.Name] {
						rule.Conds = conds
					}
					if !slices.ContainsFunc(tent.Append, func(r profile.Rule) bool { return sameRule(r, rule) }) {
						tent.Append = append(tent.Append, rule)
					}
				}
				continue
			}
			for _, o := range denies {
				if o.Rule >= 0 && idx[o.Rule] >= 0 && !slices.Contains(a.Guards, idx[o.Rule]) {
					a.Guards = append(a.Guards, idx[o.Rule])
				}
			}
			slices.Sort(a.Guards)
			// Taken out of the rule that decided it, the call is now
			// decided by the guards that rule hid, where they match: the
			// rest of its calls run.
			if len(a.Undenied) > 0 && !byDefault && len(denies) < len(outs) {
				a.Added = true
			}
			break
		}
		a.AnyArgs = a.Added && c.Values != nil && !valued[c.Name]
		if a.Added && appended && !valued[c.Name] {
			for _, o := range before {
				if o.Action.Permits() && o.Rule >= 0 && len(base.Rules[o.Rule].Conds) > 0 && !slices.Contains(a.Wider, o.Rule) {
					a.Wider = append(a.Wider, o.Rule)
				}
			}
			slices.Sort(a.Wider)
		}
		if !a.Added {
			if why != nil {
				a.Why = why.Error()
			} else if len(a.Guards) == 0 {
				a.Why = "the edit would not let it run"
			}
			a.Undenied = nil
			adds = append(adds, a)
			continue
		}
		t.add = len(adds)
		adds = append(adds, a)
		if err := prove(base, tent, native, abis, append(done, t), adds, c.Name); err != nil {
			a.Added, a.Undenied, a.Wider, a.Beyond, a.Why = false, nil, nil, nil, err.Error()
			adds[t.add] = a
			continue
		}
		edit, done = tent, append(done, t)
	}
	// The proof of the last step stands for the whole edit; run it once
	// more to give each addition the calls it lets run beyond it.
	for _, t := range done {
		adds[t.add].Beyond = nil
	}
	if err := prove(base, edit, native, abis, done, adds, ""); err != nil {
		return profile.Edit{}, nil, fmt.Errorf("plan: %w", err)
	}
	return edit, adds, nil
}

// planned is a recorded call being added: its number, the argument
// patterns it was recorded with (one nil pattern: any arguments), and
// the rules (or DecidedByDefault) that decided it and were edited.
type planned struct {
	call     Call
	nr       uint32
	within   [][]profile.Cond
	deciders []int
	add      int // index of its Addition
}

// outcomes returns the verdicts p gives t's call for its patterns.
func (t *planned) outcomes(p *profile.Profile, native arch.Arch) ([]profile.Outcome, error) {
	var out []profile.Outcome
	for _, w := range t.within {
		os, err := profile.Outcomes(p, native, t.call.Arch, t.nr, w)
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			if !slices.ContainsFunc(out, func(x profile.Outcome) bool { return x.Verdict == o.Verdict }) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// matches reports whether args of system call nr of ABI a are among t's
// patterns.
func (t *planned) matches(a arch.Arch, nr uint32, args [6]uint64) bool {
	if a != t.call.Arch || nr != t.nr {
		return false
	}
	for _, w := range t.within {
		ok := true
		for _, c := range w {
			v := args[c.Arg]
			if a.Bits() == 32 {
				v &= 0xffffffff
				c = c.Low32()
			}
			ok = ok && c.Match(v)
		}
		if ok {
			return true
		}
	}
	return false
}

// prove checks that base edited by e decides every call of every ABI of
// abis as base does, except the planned calls (decided before by their
// deciders, and after by ALLOW, LOG or a guard of base) and calls that
// the deciders of a planned call of the same name denied and that are
// now let run: those are added to the Beyond of that call's addition.
// With only, it compares only the calls a rule naming only reaches: all
// that a step of Plan for that name changes, the earlier steps being
// proven.
func prove(base *profile.Profile, e profile.Edit, native arch.Arch, abis []arch.Arch, ts []*planned, adds []Addition, only string) error {
	q, idx, err := applyIndexed(e, base)
	if err != nil {
		return err
	}
	for _, a := range abis {
		split := map[uint32][]profile.Cond{}
		for _, t := range ts {
			if t.call.Arch == a {
				for _, w := range t.within {
					split[t.nr] = append(split[t.nr], w...)
				}
			}
		}
		var diffs []profile.CallDiff
		if only == "" {
			diffs, err = profile.Compare(base, q, native, a, split)
		} else {
			var nrs []uint32
			if n, ok := a.SyscallNumber(only); ok {
				nrs = append(nrs, n)
			}
			if m, ok := a.Multiplexed(only); ok {
				nrs = append(nrs, m.Nr)
			}
			diffs, err = profile.CompareCalls(base, q, native, a, nrs, split)
		}
		if err != nil {
			return fmt.Errorf("the edit is not proven: %w", err)
		}
		for _, d := range diffs {
			for _, ch := range d.Changes {
				if err := account(base, idx, a, d, ch, ts, adds); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// account finds what allows one change of an edit, or says why none does.
func account(base *profile.Profile, idx []int, a arch.Arch, d profile.CallDiff, ch profile.Change, ts []*planned, adds []Addition) error {
	what := func() string {
		s := a.String() + " " + d.Name
		if !d.All {
			s += fmt.Sprintf(" with arguments %#x", ch.Args)
		}
		return fmt.Sprintf("the edit would change %s from %v to %v", s, ch.Before.Action, ch.After.Action)
	}
	guard := func(v profile.Verdict) bool {
		if v.Rule < 0 || idx[v.Rule] < 0 {
			return false
		}
		r := base.Rules[idx[v.Rule]]
		return len(r.Conds) > 0 && !r.Action.Permits()
	}
	var resp *planned
	for _, t := range ts {
		if slices.Contains(t.deciders, ch.Before.Rule) && reaches(t.call.Name, a, d.Nr) {
			resp = t
			break
		}
	}
	if resp == nil {
		return fmt.Errorf("%s (%v by %s, which decided no recorded call)", what(), ch.Before.Action, ruleName(ch.Before.Rule))
	}
	if slices.ContainsFunc(ts, func(t *planned) bool { return t.matches(a, d.Nr, ch.Args) }) {
		// A recorded call: now let run, or denied by a guard its
		// decider hid.
		if !ch.After.Action.Permits() && !guard(ch.After) {
			return fmt.Errorf("%s", what())
		}
		return nil
	}
	if ch.Before.Action.Permits() || !ch.After.Action.Permits() {
		return fmt.Errorf("%s", what())
	}
	add := &adds[resp.add]
	if !slices.ContainsFunc(add.Beyond, func(b Beyond) bool { return b.Arch == a && b.Name == d.Name }) {
		add.Beyond = append(add.Beyond, Beyond{Arch: a, Name: d.Name, Some: !d.All, Args: ch.Args})
	}
	return nil
}

// ruleName names rule i (0-based) or what decided instead.
func ruleName(i int) string {
	switch i {
	case profile.DecidedByDefault:
		return "the default action"
	case profile.DecidedByBadArch:
		return "the filter's bad-architecture action"
	}
	return fmt.Sprintf("rule %d", i+1)
}

// reaches reports whether a rule naming name reaches system call nr of
// ABI a (directly, or through socketcall(2) or ipc(2)).
func reaches(name string, a arch.Arch, nr uint32) bool {
	if n, ok := a.SyscallNumber(name); ok && n == nr {
		return true
	}
	m, ok := a.Multiplexed(name)
	return ok && m.Nr == nr
}

// applyIndexed applies e to p, and returns for each rule of the result
// the index of the rule of p it comes from (-1 for a rule appended).
func applyIndexed(e profile.Edit, p *profile.Profile) (*profile.Profile, []int, error) {
	q, err := e.Apply(p)
	if err != nil {
		return nil, nil, err
	}
	gone := map[int][]string{}
	for _, r := range e.Remove {
		gone[r.Rule] = append(gone[r.Rule], r.Name)
	}
	var idx []int
	for i, r := range p.Rules {
		if slices.ContainsFunc(r.Names, func(n string) bool { return !slices.Contains(gone[i], n) }) {
			idx = append(idx, i)
		}
	}
	for len(idx) < len(q.Rules) {
		idx = append(idx, -1)
	}
	return q, idx, nil
}

func allPermit(outs []profile.Outcome) bool {
	for _, o := range outs {
		if !o.Action.Permits() {
			return false
		}
	}
	return true
}

func sameRule(a, b profile.Rule) bool {
	return slices.Equal(a.Names, b.Names) && a.Action == b.Action && slices.Equal(a.Conds, b.Conds) && a.Comment == b.Comment
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
