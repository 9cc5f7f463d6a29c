package cli

import (
	"fmt"
	"os"
	"strconv"
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
func complainReport(e *env, limited bool, ref string, p *profile.Profile, host arch.Arch, events []audit.Event, patchFile string) error {
	rec, names, other := auditlog.Denied(p, host, events)
	if len(other) > 0 {
		fmt.Fprintf(e.stderr, "syscage: complain: the program made system calls of ABIs the profile does not cover: %s (add them to \"architectures\")\n", strings.Join(other, ", "))
	}
	if len(names) == 0 {
		fmt.Fprintf(e.stderr, "syscage: complain: the profile would have denied nothing the kernel logged\n")
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
// call; it returns how many calls were not added.
func reportAdditions(e *env, adds []record.Addition, prefix string) int {
	refused := 0
	rules := func(idx []int) string {
		s := make([]string, len(idx))
		for i, n := range idx {
			s[i] = strconv.Itoa(n + 1)
		}
		return strings.Join(s, ", ")
	}
	for _, a := range adds {
		if !a.Added {
			refused++
			fmt.Fprintf(e.stderr, "syscage: %snot added %s %s: rule %s denies it under conditions, which an allow without conditions would override, and the record has no argument values to tell which calls the program made (record with --args, or edit by hand)\n", prefix, a.Arch, a.Name, rules(a.Guards))
			continue
		}
		msg := fmt.Sprintf("syscage: %sadded %s %s", prefix, a.Arch, a.Name)
		if len(a.Undenied) > 0 {
			msg += ", taken out of denying rule " + rules(a.Undenied)
		}
		if len(a.Wider) > 0 {
			msg += ", without conditions: wider than rule " + rules(a.Wider) + " allowed it (the record has no argument values)"
		}
		fmt.Fprintln(e.stderr, msg)
	}
	return refused
}
