package audit

import (
	"fmt"
	"slices"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Group is the events of one program, ABI, system call and action.
type Group struct {
	Arch        arch.Arch
	AuditArch   uint32
	Nr          uint32
	Syscall     string
	Action      profile.Action
	Comm, Exe   string
	Count       int
	PIDs        []int // distinct, in order of appearance
	First, Last time.Time
}

// Name returns the system call's name, or "syscall_N".
func (g *Group) Name() string {
	e := Event{Syscall: g.Syscall, Nr: g.Nr}
	return e.Name()
}

// GroupEvents groups events by program (exe, comm), ABI, system call and
// action, in order of first appearance.
func GroupEvents(events []Event) []Group {
	var g Grouping
	for i := range events {
		g.Add(&events[i])
	}
	return g.Groups()
}

// Grouping groups events as they are read, as GroupEvents does, holding
// the groups and not the events: a log of any length costs its distinct
// calls and processes.
type Grouping struct {
	index  map[groupKey]int
	pids   []map[int]bool // of each group
	groups []Group
	n      int
}

type groupKey struct {
	exe, comm string
	audit, nr uint32
	code      uint32
}

// Add adds one event.
func (g *Grouping) Add(e *Event) {
	g.n++
	k := groupKey{e.Exe, e.Comm, e.AuditArch, e.Nr, e.Code}
	i, ok := g.index[k]
	if !ok {
		if g.index == nil {
			g.index = map[groupKey]int{}
		}
		i = len(g.groups)
		g.index[k] = i
		g.groups = append(g.groups, Group{Arch: e.Arch, AuditArch: e.AuditArch, Nr: e.Nr, Syscall: e.Syscall,
			Action: e.Action(), Comm: e.Comm, Exe: e.Exe, First: e.Time})
		g.pids = append(g.pids, map[int]bool{})
	}
	gr := &g.groups[i]
	gr.Count++
	if !g.pids[i][e.PID] {
		g.pids[i][e.PID] = true
		gr.PIDs = append(gr.PIDs, e.PID)
	}
	if gr.First.IsZero() || (!e.Time.IsZero() && e.Time.Before(gr.First)) {
		gr.First = e.Time
	}
	if e.Time.After(gr.Last) {
		gr.Last = e.Time
	}
}

// Groups returns the groups, in order of first appearance.
func (g *Grouping) Groups() []Group { return g.groups }

// Len returns how many events were added.
func (g *Grouping) Len() int { return g.n }

// How says what in a profile decides a system call.
type How string

const (
	ByDefault     How = "default"     // no rule names it: the default action
	ByRule        How = "rule"        // a rule without conditions
	ByConditions  How = "conditional" // rules with argument conditions, then a fallback
	ByArch        How = "arch"        // the filter does not cover the ABI: the bad-arch action
	ByENOSYS      How = "enosys"      // a number above the largest the profile names: ENOSYS (runc's stub)
	ByUnknownArch How = "unknown-arch"
)

// Decision is how a profile decides one system call of one ABI, and what
// would allow it.
type Decision struct {
	How    How
	Action profile.Action // the action; for ByConditions the fallback when no condition holds
	// Rules are the indexes in the profile's Rules of the rules that name
	// the system call, the deciding one first for ByRule.
	Rules []int
	// Conds are the conditional rules, in the order they are tried, for
	// ByConditions.
	Conds []profile.CondRule
	// Fix is what would let the call through; nil when the profile
	// already allows it.
	Fix *Fix
}

// Fix is a change to a profile that allows a system call.
type Fix struct {
	AddArch arch.Arch    // an ABI to add to the profile's architectures, or arch.Invalid
	Rule    profile.Rule // a rule to add
	Systemd []string     // the same for a systemd unit
}

// Decide says how p, compiled for a kernel whose native ABI is host,
// decides system call nr of ABI a (whatever its arguments, which audit
// records do not carry). p must be resolved (profile.Resolve).
func Decide(p *profile.Profile, host, a arch.Arch, nr uint32) (Decision, error) {
	if a == arch.Invalid {
		return Decision{How: ByUnknownArch, Action: profile.DefaultBadArch}, nil
	}
	d := Decision{}
	name, known := a.SyscallName(nr)
	covered := a == host || slices.Contains(p.Arches, a)
	switch {
	case !covered:
		d.How, d.Action = ByArch, profile.DefaultBadArch
	default:
		t, err := p.Table(a, profile.TableOptions{})
		if err != nil {
			return Decision{}, fmt.Errorf("profile on %s: %w", a, err)
		}
		e, ok := t.Lookup(nr)
		switch {
		case seccomp.StubENOSYS(p, append([]arch.Arch{host}, p.Arches...), a.Audit(), nr):
			d.How, d.Action = ByENOSYS, profile.Action{Kind: profile.ActErrno, Data: seccomp.ENOSYS}
		case !ok:
			d.How, d.Action = ByDefault, t.Default
		case len(e.Rules) == 0:
			d.How, d.Action = ByRule, e.Action
		default:
			d.How, d.Action, d.Conds = ByConditions, e.Fallback, e.Rules
		}
	}
	if known {
		for i, r := range p.Rules {
			if slices.Contains(r.Names, name) {
				if d.How == ByRule && len(r.Conds) == 0 && r.Action == d.Action {
					d.Rules = append([]int{i}, d.Rules...)
				} else {
					d.Rules = append(d.Rules, i)
				}
			}
		}
	}
	if d.Action.Kind == profile.ActAllow && d.How != ByConditions {
		return d, nil
	}
	fix := &Fix{}
	if !known {
		name = fmt.Sprintf("%d", nr) // systemd and runc want names; say so
	}
	if d.How == ByArch {
		fix.AddArch = a
		if n := a.Systemd(); n != "" { // systemd knows no other ABIs
			fix.Systemd = append(fix.Systemd, "SystemCallArchitectures=native "+n)
		}
	}
	fix.Rule = profile.Rule{Names: []string{name}, Action: profile.Action{Kind: profile.ActAllow}}
	fix.Systemd = append(fix.Systemd, "SystemCallFilter="+name)
	d.Fix = fix
	return d, nil
}
