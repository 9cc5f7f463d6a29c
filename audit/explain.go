package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/termtext"
	"github.com/syscage/syscage/profile"
)

// Explanation is a group of records (GroupEvents) in the form syscage
// why reports it: names, times in RFC 3339, and what in a profile
// decided the call when one was given.
type Explanation struct {
	Arch     string   `json:"arch"`
	Syscall  string   `json:"syscall"`
	Nr       uint32   `json:"nr"`
	Action   string   `json:"action"`
	Comm     string   `json:"comm"`
	Exe      string   `json:"exe,omitempty"`
	Count    int      `json:"count"`
	PIDs     []int    `json:"pids"`
	First    string   `json:"first,omitempty"`
	Last     string   `json:"last,omitempty"`
	Decision *Verdict `json:"profile,omitempty"`
}

// Explain groups events (GroupEvents) and, when p is not nil, says for
// each group what in p, compiled for a kernel whose native ABI is host,
// decided the call (Decide) and what would allow it (Decision.Verdict).
func Explain(events []Event, p *profile.Profile, host arch.Arch) ([]Explanation, error) {
	return ExplainGroups(GroupEvents(events), p, host)
}

// ExplainGroups is Explain of groups already made (Grouping).
func ExplainGroups(groups []Group, p *profile.Profile, host arch.Arch) ([]Explanation, error) {
	out := make([]Explanation, 0, len(groups))
	for _, g := range groups {
		wg := Explanation{Arch: archName(g.Arch, g.AuditArch), Syscall: g.Name(), Nr: g.Nr, Action: g.Action.Kind.String(),
			Comm: g.Comm, Exe: g.Exe, Count: g.Count, PIDs: g.PIDs}
		if !g.First.IsZero() {
			wg.First, wg.Last = g.First.Format(time.RFC3339Nano), g.Last.Format(time.RFC3339Nano)
		}
		if p != nil {
			d, err := Decide(p, host, g.Arch, g.Nr)
			if err != nil {
				return nil, err
			}
			if wg.Decision, err = d.Verdict(p, g); err != nil {
				return nil, err
			}
		}
		out = append(out, wg)
	}
	return out, nil
}

func archName(a arch.Arch, auditArch uint32) string {
	if a != arch.Invalid {
		return a.String()
	}
	return fmt.Sprintf("arch %#x", auditArch)
}

// WriteExplanations writes groups as syscage why prints them, after a
// line counting the records (none: nothing) read from source. What
// programs chose (names, paths) is quoted for the terminal.
func WriteExplanations(w io.Writer, groups []Explanation, records int, source string) {
	if records == 0 {
		return
	}
	fmt.Fprintf(w, "%d seccomp record%s in %s, %d system call%s:\n", records, plural(records), source, len(groups), plural(len(groups)))
	for _, g := range groups {
		who := termtext.Quote(g.Comm)
		if g.Exe != "" && path.Base(g.Exe) != g.Comm {
			who += " (" + termtext.Quote(g.Exe) + ")"
		} else if g.Exe != "" {
			who = termtext.Quote(g.Exe)
		}
		pids := make([]string, len(g.PIDs))
		for i, p := range g.PIDs {
			pids[i] = strconv.Itoa(p)
		}
		when := ""
		if g.First != "" {
			when = " at " + g.First
			if g.Last != g.First {
				when = " from " + g.First + " to " + g.Last
			}
		}
		fmt.Fprintf(w, "\n%s %s %s(%d): %d time%s, %s, pid %s%s\n", g.Action, g.Arch, g.Syscall, g.Nr, g.Count, plural(g.Count), who, strings.Join(pids, ", "), when)
		d := g.Decision
		if d == nil {
			continue
		}
		fmt.Fprintf(w, "  profile: %s\n", d.Statement)
		for _, c := range d.Conds {
			fmt.Fprintf(w, "           %s\n", c)
		}
		if d.Patch != nil {
			fmt.Fprintf(w, "  fix:     profile %s\n", d.Patch)
			for _, s := range d.Systemd {
				fmt.Fprintf(w, "           systemd %s\n", s)
			}
		}
	}
}

// WriteExplanationsJSON writes groups as syscage why --json prints
// them: indented JSON, with what programs chose (names, paths) escaped
// for the terminal.
func WriteExplanationsJSON(w io.Writer, groups []Explanation) error {
	b, err := json.MarshalIndent(groups, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(termtext.JSON(append(b, '\n')))
	return err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
