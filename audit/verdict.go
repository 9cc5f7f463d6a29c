package audit

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// Verdict is a Decision in words: what in the profile decided a group of
// records, and the change that would allow the call, as a fragment of
// Docker/OCI JSON (oci.Fragment) and as systemd lines.
type Verdict struct {
	How       string          `json:"decidedBy"`
	Action    string          `json:"action"`
	Rules     []string        `json:"rules,omitempty"`      // the rules that name the call, as RuleText
	Conds     []string        `json:"conditions,omitempty"` // "if COND && COND: ACTION", in order
	AddArch   string          `json:"addArchitecture,omitempty"`
	Patch     json.RawMessage `json:"patch,omitempty"`
	Systemd   []string        `json:"systemd,omitempty"`
	Allowed   bool            `json:"allowed"`
	Statement string          `json:"statement"`
}

// Verdict puts d, the decision of p for the calls of g, in words.
func (d Decision) Verdict(p *profile.Profile, g Group) (*Verdict, error) {
	w := &Verdict{How: string(d.How), Action: d.Action.String(), Allowed: d.Fix == nil}
	for _, i := range d.Rules {
		w.Rules = append(w.Rules, RuleText(p, i))
	}
	for _, c := range d.Conds {
		w.Conds = append(w.Conds, fmt.Sprintf("if %s: %s", condText(c.Conds), c.Action))
	}
	name := g.Name()
	switch d.How {
	case ByDefault:
		w.Statement = fmt.Sprintf("no rule names %s: the default action %s decides it", name, d.Action)
	case ByRule:
		w.Statement = fmt.Sprintf("%s decides it: %s", w.Rules[0], d.Action)
	case ByConditions:
		w.Statement = fmt.Sprintf("argument rules decide it; when none holds, %s (audit records carry no arguments)", d.Action)
	case ByArch:
		w.Statement = fmt.Sprintf("the profile does not cover %s: every call of it gets %s", g.Arch, d.Action)
	case ByENOSYS:
		w.Statement = fmt.Sprintf("%d is above the largest number the profile names on %s: ENOSYS, as runc's stub answers", g.Nr, g.Arch)
	case ByUnknownArch:
		w.Statement = fmt.Sprintf("architecture %#x is unknown to syscage", g.AuditArch)
	}
	if d.Fix == nil {
		w.Statement += "; the profile allows it, so the process ran under another filter"
		return w, nil
	}
	if d.How != ByConditions && d.Action.Kind != g.Action.Kind {
		w.Statement += fmt.Sprintf(" (the log says %s: the process ran under another filter or another version of the profile)", g.Action.Kind)
	}
	fix := &profile.Profile{Rules: []profile.Rule{{Names: d.Fix.Rule.Names, Action: profile.Action{Kind: profile.ActAllow}}}}
	if d.Fix.AddArch != arch.Invalid {
		w.AddArch = d.Fix.AddArch.SCMP()
		fix.Arches = []arch.Arch{d.Fix.AddArch}
	}
	patch, err := oci.Fragment(fix)
	if err != nil {
		return nil, err
	}
	w.Patch = patch
	w.Systemd = d.Fix.Systemd
	return w, nil
}

// RuleText names rule i of p: its position (1-based), its first names
// and its action and conditions.
func RuleText(p *profile.Profile, i int) string {
	r := p.Rules[i]
	names := r.Names
	more := ""
	if len(names) > 3 {
		names, more = names[:3], fmt.Sprintf(", ... %d more", len(r.Names)-3)
	}
	s := fmt.Sprintf("rule %d (%s%s: %s", i+1, strings.Join(names, ", "), more, r.Action.Kind.SCMP())
	if r.Action.Kind.HasData() {
		s += fmt.Sprintf(" %d", r.Action.Data)
	}
	if len(r.Conds) > 0 {
		s += " if " + condText(r.Conds)
	}
	return s + ")"
}

func condText(cs []profile.Cond) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, " && ")
}
