package inspect

import (
	"fmt"
	"strings"

	"github.com/syscage/syscage/profile"
)

// Reason is why a rule is in a profile: its comment (record writes the
// provenance of each call there: seen, reachable, family, runtime).
type Reason struct {
	Action   string
	Syscalls []string
	When     string // the rule's conditions, joined with &&
	Why      string
}

// Reasons returns the comments of p's rules, in order.
func Reasons(p *profile.Profile) []Reason {
	var out []Reason
	for _, r := range p.Rules {
		if r.Comment == "" {
			continue
		}
		var when []string
		for _, c := range r.Conds {
			when = append(when, c.String())
		}
		out = append(out, Reason{Action: r.Action.String(), Syscalls: r.Names, When: strings.Join(when, " && "), Why: r.Comment})
	}
	return out
}

// ReasonsText is rs as syscage explain prints them after the
// explanation ("" when there are none).
func ReasonsText(rs []Reason) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nwhy (the rules' comments):\n")
	for _, r := range rs {
		head := r.Action
		if r.When != "" {
			head += " if " + r.When
		}
		fmt.Fprintf(&b, "  %s (%d): %s\n    because %s\n", head, len(r.Syscalls), strings.Join(r.Syscalls, ", "), r.Why)
	}
	return b.String()
}
