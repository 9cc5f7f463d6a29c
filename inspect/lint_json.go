package inspect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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

// ParseSeverity reads a severity by its name: low, medium or high.
func ParseSeverity(s string) (Severity, error) {
	for _, sev := range []Severity{Low, Medium, High} {
		if s == sev.String() {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium or high)", s)
}

// Worst returns the highest severity of fs, or 0 when there are none.
func Worst(fs []Finding) Severity {
	var w Severity
	for _, f := range fs {
		w = max(w, f.Severity)
	}
	return w
}

// FindingsText is fs as syscage lint prints them: each finding with its
// fix, then their number by severity ("" when there are none).
func FindingsText(fs []Finding) string {
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	counts := map[Severity]int{}
	for _, f := range fs {
		fmt.Fprintf(&b, "%-6s %s: %s\n", f.Severity, f.Check, f.Message)
		fmt.Fprintf(&b, "       fix: %s\n", f.Fix)
		counts[f.Severity]++
	}
	var s []string
	for _, sev := range []Severity{High, Medium, Low} {
		if counts[sev] > 0 {
			s = append(s, fmt.Sprintf("%d %s", counts[sev], sev))
		}
	}
	plural := "s"
	if len(fs) == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "%d finding%s (%s)\n", len(fs), plural, strings.Join(s, ", "))
	return b.String()
}
