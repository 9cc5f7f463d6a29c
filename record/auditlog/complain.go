package auditlog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// ComplainOptions are what Complain reads: the profile a program ran
// under in complain mode and the kernel's records of the run.
type ComplainOptions struct {
	// Name is the profile's file, or a built-in's name.
	Name string
	// Data is the file's text; nil for a built-in, which has no file to
	// patch.
	Data []byte
	// Profile is the file's profile resolved for Host.
	Profile *profile.Profile
	// Ran is the profile the program ran under, before launch.Complain
	// turned its denials into LOG: Profile with what the launcher added
	// to it (hardening, say), which Added names.
	Ran   *profile.Profile
	Added []string
	Host  arch.Arch
	// Events are the LOG records of the run (audit.Collector).
	Events []audit.Event
	// Limited reports a rate-limited kernel log: some denials may be
	// missing.
	Limited bool
	// Comment marks the rules the patch adds.
	Comment string
}

// Complaint is the harvest of a run in complain mode: the calls the
// profile would have denied, and the patch of its file that allows them.
type Complaint struct {
	Denials
	// Ours are the calls only what the launcher added (Added) would
	// have denied: no patch of the file can allow them.
	Ours []string
	// Adds is what allowing the denials does for each call.
	Adds []record.Addition
	// Patch is the patch of the file (MakePatch); nil for a built-in,
	// or when nothing was denied.
	Patch *Patch
	o     ComplainOptions
}

// Complain reads the LOG records of a program run in complain mode
// (launch.Complain) and works out what the profile would have denied and
// the patch that allows it: only the rule that decided a call is edited,
// a conditional deny is never overridden, and the patched profile is
// shown to decide every other call as before (MakePatch).
func Complain(o ComplainOptions) (*Complaint, error) {
	c := &Complaint{Denials: Denied(o.Profile, o.Host, o.Events), o: o}
	// The filter that ran is the file's rules with what the launcher
	// adds: a call only those deny is no denial of the file's, and no
	// patch of it can allow the call.
	for _, n := range Denied(o.Ran, o.Host, o.Events).Names {
		if !slices.Contains(c.Names, n) {
			c.Ours = append(c.Ours, n)
		}
	}
	switch {
	case len(c.Names) == 0:
		return c, nil
	case o.Data == nil:
		_, adds, err := c.Rec.Plan(o.Profile, o.Host, o.Comment)
		if err != nil {
			return nil, err
		}
		c.Adds = adds
		return c, nil
	}
	pt, err := MakePatch(o.Name, o.Data, o.Profile, o.Host, c.Rec, o.Comment)
	if err != nil {
		return nil, err
	}
	c.Patch, c.Adds = pt, pt.Adds
	return c, nil
}

// Lines says what c found, one line each: what the launcher's additions
// would have denied, calls of other ABIs and of no table, calls the log
// cannot decide, the calls denied, what allowing each does
// (record.Addition), and why there is no patch. The patch itself is
// Patch.Diff.
func (c *Complaint) Lines() []string {
	var out []string
	say := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	if len(c.Ours) > 0 {
		say("what syscage adds to %s (%s) would have denied %d system call(s) its rules allow: %s; no patch of the profile allows them", c.o.Name, strings.Join(c.o.Added, "; "), len(c.Ours), strings.Join(c.Ours, " "))
	}
	if len(c.OtherABIs) > 0 {
		say("the program made system calls of ABIs the profile does not cover: %s (add them to \"architectures\")", strings.Join(c.OtherABIs, ", "))
	}
	if len(c.Rec.Unknown) > 0 {
		say("the profile's default action would have denied system calls no table names (no rule can name them): %s", strings.Join(c.Rec.Unknown, ", "))
	}
	if len(c.Unsure) > 0 {
		say("the kernel logged %s, which the profile logs itself for some arguments and denies for others; the log has no arguments to tell which it was: not in the patch (edit by hand)", strings.Join(c.Unsure, ", "))
	}
	if len(c.Names) == 0 {
		if len(c.Rec.Unknown) == 0 && len(c.Unsure) == 0 && len(c.Ours) == 0 {
			say("the profile would have denied nothing the kernel logged")
		}
		return out
	}
	say("the profile would have denied %d system call(s): %s", len(c.Names), strings.Join(c.Names, " "))
	if c.o.Limited {
		say("the kernel log is rate-limited (no CAP_AUDIT_READ for the audit netlink group); apply the patch and run again until nothing is left")
	}
	switch {
	case c.Patch == nil:
		say("%s is a built-in profile; in a copy of it:", c.o.Name)
	case c.Patch.NotPlain != nil:
		say("no patch: %s is not a plain seccomp JSON profile (%v); the calls to allow:", c.o.Name, c.Patch.NotPlain)
	}
	for _, a := range c.Adds {
		out = append(out, a.String())
	}
	if c.Patch != nil && c.Patch.NotPlain == nil && c.Patch.Diff == nil {
		say("no patch: %s", c.Patch.Why)
	}
	return out
}
