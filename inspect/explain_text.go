package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// explanationJSON is the JSON form of an Explanation.
type explanationJSON struct {
	Arch    string            `json:"arch"`
	Default string            `json:"default"`
	Groups  []actionGroupJSON `json:"actions"`
	Others  int               `json:"others"`
	Beyond  uint32            `json:"enosysFrom,omitempty"`
	Skipped []string          `json:"skipped,omitempty"`
}

type actionGroupJSON struct {
	Action   string    `json:"action"`
	When     string    `json:"when,omitempty"`
	Syscalls []string  `json:"syscalls"`
	Why      []whyJSON `json:"why,omitempty"`
}

type whyJSON struct {
	Syscalls []string `json:"syscalls"`
	Because  string   `json:"because"`
}

// MarshalJSON writes ex with its actions by name and its groups'
// system calls.
func (ex Explanation) MarshalJSON() ([]byte, error) {
	j := explanationJSON{Arch: ex.Arch.String(), Default: ex.Default.String(), Others: ex.Others, Beyond: ex.Beyond, Skipped: ex.Skipped}
	for _, g := range ex.Groups {
		gj := actionGroupJSON{Action: g.Action.String(), When: g.When, Syscalls: g.Names}
		for _, w := range g.Why {
			gj.Why = append(gj.Why, whyJSON{Syscalls: w.Names, Because: w.Comment})
		}
		j.Groups = append(j.Groups, gj)
	}
	// Conditions have & and <: written as they are.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Text is ex as syscage explain prints it: per action (and condition),
// the system calls, wrapped; then the default, the ENOSYS stub and the
// names the ABI lacks. native marks the host's own ABI.
func (ex Explanation) Text(native bool) string {
	var b strings.Builder
	w := &b
	label := ex.Arch.String()
	if native {
		label += " (native)"
	}
	fmt.Fprintf(w, "%s:\n", label)
	for _, g := range ex.Groups {
		head := g.Action.String()
		switch g.When {
		case "":
		case "otherwise":
			head += " otherwise"
		default:
			head += " if " + g.When
		}
		fmt.Fprintf(w, "  %s (%d): %s\n", head, len(g.Names), wrapNames(g.Names))
	}
	fmt.Fprintf(w, "  %s: the %d other system calls of the table\n", ex.Default, ex.Others)
	if ex.Beyond == 0 {
		fmt.Fprintf(w, "  no ENOSYS answer: numbers above the table get %s too (as with runc)\n", ex.Default)
	} else {
		fmt.Fprintf(w, "  ERRNO(%d): numbers from %d, above the largest the profile names (%d system calls of the table)\n", ENOSYS, ex.Beyond, ex.Stubbed)
	}
	if len(ex.Skipped) > 0 {
		fmt.Fprintf(w, "  names %s lacks (skipped): %s\n", ex.Arch, wrapNames(ex.Skipped))
	}
	return b.String()
}

// wrapNames joins names, wrapped at about 100 columns.
func wrapNames(names []string) string {
	var b strings.Builder
	col := 0
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
			col++
			if col+len(n) > 90 {
				b.WriteString("\n      ")
				col = 0
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(n)
		col += len(n)
	}
	return b.String()
}

// ExplainText is exs as syscage explain prints them: each explanation's
// Text (the host's own ABI marked native), a blank line between; with
// others, then what calls of every other ABI get (the bad-arch action).
func ExplainText(exs []Explanation, host arch.Arch, others bool) string {
	var b strings.Builder
	for i, ex := range exs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(ex.Text(ex.Arch == host))
	}
	if others {
		fmt.Fprintf(&b, "\nevery other architecture: %s\n", profile.DefaultBadArch)
	}
	return b.String()
}
