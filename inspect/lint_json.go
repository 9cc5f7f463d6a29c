package inspect

import (
	"encoding/json"
	"slices"

	"github.com/syscage/syscage/profile"
)

type findingJSON struct {
	Severity string   `json:"severity"`
	Check    string   `json:"check"`
	Rule     int      `json:"rule,omitempty"` // 1-based; 0 for the whole profile
	Syscalls []string `json:"syscalls,omitempty"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

// MarshalJSON writes f with its severity by name and its rule 1-based (0
// for the whole profile).
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(findingJSON{Severity: f.Severity.String(), Check: f.Check, Rule: f.Rule + 1, Syscalls: f.Names, Message: f.Message, Fix: f.Fix})
}

// Origins maps the rules of resolved to the rules of raw they come from
// (-1 for none), as LintOptions.Origins takes them: profile.Resolve
// keeps the order and drops rules.
func Origins(raw, resolved *profile.Profile) []int {
	out := make([]int, len(resolved.Rules))
	j := 0
	for i, r := range resolved.Rules {
		for j < len(raw.Rules) && !sameRule(raw.Rules[j], r) {
			j++
		}
		if j == len(raw.Rules) {
			out[i] = -1
			continue
		}
		out[i] = j
		j++
	}
	return out
}

func sameRule(a, b profile.Rule) bool {
	return slices.Equal(a.Names, b.Names) && a.Action == b.Action && slices.Equal(a.Conds, b.Conds)
}
