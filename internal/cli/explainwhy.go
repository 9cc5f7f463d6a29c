package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/syscage/syscage/profile"
)

// ruleReason is why a rule is in a profile: its comment (record writes
// the provenance of each call there: seen, reachable, family, runtime).
type ruleReason struct {
	Action   string
	Syscalls []string
	When     string
	Why      string
}

// ruleReasons returns the comments of p's rules, in order.
func ruleReasons(p *profile.Profile) []ruleReason {
	var out []ruleReason
	for _, r := range p.Rules {
		if r.Comment == "" {
			continue
		}
		var when []string
		for _, c := range r.Conds {
			when = append(when, c.String())
		}
		out = append(out, ruleReason{Action: r.Action.String(), Syscalls: r.Names, When: strings.Join(when, " && "), Why: r.Comment})
	}
	return out
}

// printReasons prints why each rule is there.
func printReasons(w io.Writer, rs []ruleReason) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nwhy (the rules' comments):\n")
	for _, r := range rs {
		head := r.Action
		if r.When != "" {
			head += " if " + r.When
		}
		fmt.Fprintf(w, "  %s (%d): %s\n    because %s\n", head, len(r.Syscalls), strings.Join(r.Syscalls, ", "), r.Why)
	}
}
