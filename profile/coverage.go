package profile

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/syscage/syscage/arch"
)

// Coverage says whether one profile lets run everything others let run
// ('syscage merge --check'), and what it lacks.
type Coverage struct {
	Profile string `json:"profile"` // the name of the covering profile
	// Covers is true when nothing is Missing and nothing is Unproven.
	Covers bool `json:"covers"`
	// Unproven, when not "", says why no gap does not prove coverage (a
	// caller's caveat, such as a comparison made for one environment).
	Unproven string    `json:"unproven,omitempty"`
	Missing  []Missing `json:"missing"`
}

// Missing is a system call the profile named From lets run and the
// covering profile does not.
type Missing struct {
	From string
	Gap
}

// MarshalJSON writes m as {"from", "arch", "name", "nr", "args" (when
// the arguments matter), "action"}.
func (m Missing) MarshalJSON() ([]byte, error) {
	j := struct {
		From   string   `json:"from"`
		Arch   string   `json:"arch"`
		Name   string   `json:"name"`
		Nr     uint32   `json:"nr"`
		Args   []uint64 `json:"args,omitempty"` // an example, when the arguments matter
		Action string   `json:"action"`         // what the covering profile does instead
	}{From: m.From, Arch: m.Arch.String(), Name: m.Name, Nr: m.Nr, Action: m.Action.String()}
	if m.Cond {
		j.Args = m.Args[:]
	}
	return json.Marshal(j)
}

// CoversAll checks, with Covers, that the first of ps lets run everything
// each of the others lets run, for filters built for native. names are
// the profiles' names, in the same order. An error names the profile
// the comparison could not decide.
func CoversAll(native arch.Arch, names []string, ps ...*Profile) (*Coverage, error) {
	if len(names) != len(ps) || len(ps) == 0 {
		return nil, fmt.Errorf("covers: %d names for %d profiles", len(names), len(ps))
	}
	c := &Coverage{Profile: names[0], Missing: []Missing{}}
	for i, p := range ps[1:] {
		gaps, err := Covers(ps[0], p, native)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names[i+1], err)
		}
		for _, g := range gaps {
			c.Missing = append(c.Missing, Missing{From: names[i+1], Gap: g})
		}
	}
	c.Covers = len(c.Missing) == 0
	return c, nil
}

// Text lists what c.Profile lacks, a line per call: "FROM allows GAP in
// PROFILE".
func (c *Coverage) Text() string {
	var b strings.Builder
	for _, m := range c.Missing {
		fmt.Fprintf(&b, "%s allows %s in %s\n", m.From, m.Gap, c.Profile)
	}
	return b.String()
}
