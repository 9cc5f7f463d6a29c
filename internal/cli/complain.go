package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/auditlog"
)

// complainReport prints the system calls the profile would have denied,
// and a patch that allows them: made by record.Plan (only the rule that
// decided a call is edited, a conditional deny is never overridden) in
// the profile's own text (oci.Edit), and printed only once the patched
// profile is shown to decide every other call as before.
func complainReport(e *env, limited bool, ref string, p, ran *profile.Profile, added []string, host arch.Arch, events []audit.Event, patchFile string) error {
	d := auditlog.Denied(p, host, events)
	rec, names, other := d.Rec, d.Names, d.OtherABIs
	// The filter that ran is the file's rules with what syscage adds
	// (added): a call only those deny is no denial of the file's, and no
	// patch of it can allow the call.
	var ours []string
	for _, n := range auditlog.Denied(ran, host, events).Names {
		if !slices.Contains(names, n) {
			ours = append(ours, n)
		}
	}
	if len(ours) > 0 {
		fmt.Fprintf(e.stderr, "syscage: complain: what syscage adds to %s (%s) would have denied %d system call(s) its rules allow: %s; no patch of the profile allows them\n", ref, strings.Join(added, "; "), len(ours), strings.Join(ours, " "))
	}
	if len(other) > 0 {
		fmt.Fprintf(e.stderr, "syscage: complain: the program made system calls of ABIs the profile does not cover: %s (add them to \"architectures\")\n", strings.Join(other, ", "))
	}
	if len(rec.Unknown) > 0 {
		fmt.Fprintf(e.stderr, "syscage: complain: the profile's default action would have denied system calls no table names (no rule can name them): %s\n", strings.Join(rec.Unknown, ", "))
	}
	if len(d.Unsure) > 0 {
		fmt.Fprintf(e.stderr, "syscage: complain: the kernel logged %s, which the profile logs itself for some arguments and denies for others; the log has no arguments to tell which it was: not in the patch (edit by hand)\n", strings.Join(d.Unsure, ", "))
	}
	if len(names) == 0 {
		if len(rec.Unknown) == 0 && len(d.Unsure) == 0 && len(ours) == 0 {
			fmt.Fprintf(e.stderr, "syscage: complain: the profile would have denied nothing the kernel logged\n")
		}
		return nil
	}
	fmt.Fprintf(e.stderr, "syscage: complain: the profile would have denied %d system call(s): %s\n", len(names), strings.Join(names, " "))
	if limited {
		fmt.Fprintf(e.stderr, "syscage: complain: the kernel log is rate-limited (no CAP_AUDIT_READ for the audit netlink group); apply the patch and run again until nothing is left\n")
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		_, adds, err := rec.Plan(p, host, complainComment)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "syscage: complain: %s is a built-in profile; in a copy of it:\n", ref)
		reportAdditions(e, adds, "complain: ")
		return nil
	}
	pt, err := auditlog.MakePatch(ref, data, p, host, rec, complainComment)
	if err != nil {
		return err
	}
	if pt.NotPlain != nil {
		fmt.Fprintf(e.stderr, "syscage: complain: no patch: %s is not a plain seccomp JSON profile (%v); the calls to allow:\n", ref, pt.NotPlain)
	}
	reportAdditions(e, pt.Adds, "complain: ")
	switch {
	case pt.NotPlain != nil:
		return nil
	case pt.Diff == nil:
		fmt.Fprintf(e.stderr, "syscage: complain: no patch: %s\n", pt.Why)
		return nil
	case patchFile != "":
		return writeOutput(e, patchFile, pt.Diff)
	}
	_, err = e.stderr.Write(pt.Diff)
	return err
}

// complainComment marks the rules a complain patch adds.
const complainComment = "added by syscage run --complain"

// reportAdditions says what adding a recording to a profile did for each
// call.
func reportAdditions(e *env, adds []record.Addition, prefix string) {
	for _, a := range adds {
		fmt.Fprintf(e.stderr, "syscage: %s%s\n", prefix, a)
	}
}
