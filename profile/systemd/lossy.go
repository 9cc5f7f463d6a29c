package systemd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

func permits(a profile.Action) bool {
	return a.Kind == profile.ActAllow || a.Kind == profile.ActLog
}

// implied reports whether every value that meets all of g meets c (all
// on one argument); false when it cannot tell.
func implied(g []profile.Cond, c profile.Cond) bool {
	for _, x := range g {
		switch {
		case x.Op == profile.OpEQ:
			return c.Match(x.Value)
		case x.Op == profile.OpMaskedEQ && c.Op == profile.OpMaskedEQ:
			if c.Value&^x.Value == 0 && x.ValueTwo&c.Value == c.ValueTwo&c.Value {
				return true
			}
		}
	}
	return false
}

// disjoint reports whether no value meets all of g and c; false when it
// cannot tell.
func disjoint(g []profile.Cond, c profile.Cond) bool {
	for _, x := range g {
		switch {
		case x.Op == profile.OpEQ:
			return !c.Match(x.Value)
		case x.Op == profile.OpMaskedEQ && (c.Op == profile.OpMaskedEQ || c.Op == profile.OpEQ):
			m, v := c.Value, c.ValueTwo
			if c.Op == profile.OpEQ {
				m, v = ^uint64(0), c.Value
			}
			if both := m & x.Value; (x.ValueTwo^v)&both != 0 {
				return true
			}
		}
	}
	return false
}

// allows reports whether table t surely lets call nr run for every
// argument list that meets all of g: walking its rules in order, each
// either cannot match or surely matches and permits.
func allows(t *profile.Table, a arch.Arch, nr uint32, g []profile.Cond) bool {
	e, ok := t.Lookup(nr)
	if !ok {
		return permits(t.Default)
	}
	if !e.Conditional() {
		return permits(e.Action)
	}
	if e.Decision != nil && len(e.Rules) == 0 {
		return false
	}
	if a.Bits() == 32 {
		g = slices.Clone(g)
		for i := range g {
			g[i] = g[i].Low32()
		}
	}
	on := func(arg uint8) []profile.Cond {
		var out []profile.Cond
		for _, c := range g {
			if c.Arg == arg {
				out = append(out, c)
			}
		}
		return out
	}
	for _, r := range e.Rules {
		dis, imp := false, true
		for _, c := range r.Conds {
			if disjoint(on(c.Arg), c) {
				dis = true
				break
			}
			if !implied(on(c.Arg), c) {
				imp = false
			}
		}
		if dis {
			continue
		}
		return imp && permits(r.Action)
	}
	return permits(e.Fallback)
}

// execPlan is what Format writes of the other settings, to let calls run
// that the profile allows under argument conditions.
type execPlan struct {
	x      execSettings
	lines  []string
	allow  map[string]string // call -> what it is written as
	notFor []arch.Arch       // ABIs left out, where systemd applies a setting otherwise
	why    []string          // the settings that left them out
}

// planExec tries, for each call the profile decides under conditions,
// the setting systemd has for it: RestrictAddressFamilies= for socket,
// RestrictNamespaces=yes for clone and unshare, LockPersonality= for
// personality. A setting is used only where every call it lets run (its
// gates' good conditions) is surely allowed by the profile on every ABI
// the unit covers (allows), so the unit is never more permissive; ABIs
// where systemd applies the setting otherwise are left out of
// SystemCallArchitectures=.
func planExec(p *profile.Profile, cond []string, abis []arch.Arch) (*execPlan, error) {
	plan := &execPlan{allow: map[string]string{}}
	if len(abis) == 0 || len(p.ArchMap) > 0 || p.Conditional() {
		return plan, nil
	}
	tables := map[arch.Arch]*profile.Table{}
	for _, a := range abis {
		t, err := p.Table(a, profile.TableOptions{})
		if err != nil {
			return nil, fmt.Errorf("format systemd: %w", err)
		}
		tables[a] = t
	}
	sound := func(name string, g []profile.Cond, skip []arch.Arch) bool {
		for _, a := range abis {
			if slices.Contains(skip, a) {
				continue
			}
			nr, ok := a.SyscallNumber(name)
			if !ok {
				continue
			}
			if !allows(tables[a], a, nr, g) {
				return false
			}
		}
		return true
	}
	notes := func(key string) []arch.Arch {
		var out []arch.Arch
		for _, n := range abiNotes {
			if n.key == key {
				out = slices.Clone(n.abis)
			}
		}
		if key == keyFamilies {
			// Where socket(2) also goes through socketcall(2), the
			// family rules of two actions meet in one socketcall rule,
			// which libseccomp refuses.
			for _, a := range arch.All() {
				if _, ok := a.Multiplexed("socket"); ok && !slices.Contains(out, a) {
					out = append(out, a)
				}
			}
		}
		return out
	}
	use := func(key string, x execSettings, calls []string) bool {
		skip := notes(key)
		left := 0
		for _, a := range abis {
			if !slices.Contains(skip, a) {
				left++
			}
		}
		if left == 0 {
			return false
		}
		for _, g := range x.gates() {
			if !slices.Contains(calls, g.name) {
				continue
			}
			for _, c := range g.good {
				if !sound(g.name, c, skip) {
					return false
				}
			}
		}
		for _, a := range abis {
			if slices.Contains(skip, a) {
				if !slices.Contains(plan.notFor, a) {
					plan.notFor = append(plan.notFor, a)
				}
				if !slices.Contains(plan.why, key+"=") {
					plan.why = append(plan.why, key+"=")
				}
			}
		}
		return true
	}
	has := func(n string) bool { return slices.Contains(cond, n) }
	if has("socket") {
		// The families socket surely may use, as an allow list.
		x := execSettings{afSet: true, afAllow: true, afs: map[int]bool{}}
		var names []string
		for af := 1; af < afMax; af++ {
			if sound("socket", eq(0, uint64(af)), notes(keyFamilies)) {
				x.afs[af] = true
				names = append(names, afNames[af])
			}
		}
		if len(names) > 0 && use(keyFamilies, x, []string{"socket"}) {
			plan.x.afSet, plan.x.afAllow, plan.x.afs = true, true, x.afs
			plan.lines = append(plan.lines, keyFamilies+"="+strings.Join(names, " "))
			plan.allow["socket"] = fmt.Sprintf("allowed for the families it allows for every argument (%s=, %d of them), denied (EAFNOSUPPORT) for the others", keyFamilies, len(names))
		}
	}
	var ns []string
	for _, n := range []string{"clone", "unshare"} {
		if has(n) {
			ns = append(ns, n)
		}
	}
	if len(ns) > 0 {
		x := execSettings{nsSet: true}
		if use(keyNamespaces, x, ns) {
			plan.x.nsSet, plan.x.nsRetain = true, 0
			plan.lines = append(plan.lines, keyNamespaces+"=yes")
			for _, n := range ns {
				plan.allow[n] = fmt.Sprintf("allowed without namespace flags (%s=yes), denied (EPERM) with them", keyNamespaces)
			}
		}
	}
	if has("personality") {
		x := execSettings{bools: map[string]bool{keyPersona: true}}
		if use(keyPersona, x, []string{"personality"}) {
			if plan.x.bools == nil {
				plan.x.bools = map[string]bool{}
			}
			plan.x.bools[keyPersona] = true
			plan.lines = append(plan.lines, keyPersona+"=yes")
			plan.allow["personality"] = fmt.Sprintf("allowed for PER_LINUX only (%s=yes), denied (EPERM) otherwise", keyPersona)
		}
	}
	return plan, nil
}
