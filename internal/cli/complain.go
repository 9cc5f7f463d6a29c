package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
)

// complainLog collects the LOG records of the kernel log while a program
// runs in complain mode.
type complainLog struct {
	before map[int]bool // processes that ran before the program started
	f      *audit.Follower
	events chan audit.Event
	done   chan struct{}
}

func followComplaints() (*complainLog, error) {
	f, err := audit.Follow(audit.FollowOptions{Source: audit.SourceAuto})
	if err != nil {
		return nil, fmt.Errorf("--complain reads the kernel log: %w", err)
	}
	l := &complainLog{f: f, events: make(chan audit.Event, 1024), done: make(chan struct{}), before: map[int]bool{}}
	if ents, err := os.ReadDir("/proc"); err == nil {
		for _, e := range ents {
			if pid, err := strconv.Atoi(e.Name()); err == nil {
				l.before[pid] = true
			}
		}
	}
	go func() {
		defer close(l.done)
		defer close(l.events)
		for {
			ev, err := f.Next()
			if audit.Skippable(err) {
				continue
			}
			if err != nil {
				return
			}
			if ev.Action().Kind == profile.ActLog {
				l.events <- ev
			}
		}
	}()
	return l, nil
}

// limited reports whether the records come from the rate-limited kernel
// log rather than the audit netlink group.
func (l *complainLog) limited() bool { return l.f.Source() == audit.SourceKmsg }

// stop waits until the kernel log has been quiet for a moment (the audit
// thread writes records after the calls), then returns what it read from
// the program's audit session, or, without one (session 0), from
// processes that did not run before the program (the records do not say
// which process started which: the program's own, and those of others
// that started while it ran, remain).
func (l *complainLog) stop(session uint32) []audit.Event {
	var out []audit.Event
	quiet := time.NewTimer(300 * time.Millisecond)
	limit := time.After(3 * time.Second)
loop:
	for {
		select {
		case ev, ok := <-l.events:
			if !ok {
				break loop
			}
			out = append(out, ev)
			quiet.Reset(300 * time.Millisecond)
		case <-quiet.C:
			break loop
		case <-limit:
			break loop
		}
	}
	l.f.Close()
	for ev := range l.events {
		out = append(out, ev)
	}
	<-l.done
	ours := out[:0]
	for _, ev := range out {
		if session != 0 && ev.Ses == session || session == 0 && !l.before[ev.PID] {
			ours = append(ours, ev)
		}
	}
	return ours
}

// complainReport prints the system calls the profile would have denied,
// and a patch that allows them: made by record.Plan (only the rule that
// decided a call is edited, a conditional deny is never overridden) in
// the profile's own text (oci.Edit), and printed only once the patched
// profile is shown to decide every other call as before.
func complainReport(e *env, limited bool, ref string, p *profile.Profile, host arch.Arch, events []audit.Event, patchFile string) error {
	covered := append([]arch.Arch{host}, p.Arches...)
	rec := record.New(host)
	var names []string
	var other []string
	for _, ev := range events {
		if ev.Arch == arch.Invalid || ev.Syscall == "" {
			continue
		}
		if !slices.Contains(covered, ev.Arch) {
			if n := ev.Arch.String(); !slices.Contains(other, n) {
				other = append(other, n)
			}
			continue
		}
		v, err := profile.Explain(p, host, profile.Data{Nr: ev.Nr, Arch: ev.AuditArch})
		if err == nil && v.Action.Kind == profile.ActLog && v.Rule != profile.DecidedByBadArch {
			continue // the profile itself logs it
		}
		rec.Add(ev.Arch, ev.Nr, nil, false)
		if !slices.Contains(names, ev.Syscall) {
			names = append(names, ev.Syscall)
		}
	}
	slices.Sort(names)
	slices.Sort(other)
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
	raw, err := oci.Parse(ref, data)
	if err == nil && raw.Conditional() {
		err = errors.New("it has includes, excludes or an archMap")
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "syscage: complain: no patch: %s is not a plain seccomp JSON profile (%v); the calls to allow:\n", ref, err)
		_, adds, err := rec.Plan(p, host, complainComment)
		if err != nil {
			return err
		}
		reportAdditions(e, adds, "complain: ")
		return nil
	}
	edit, adds, err := rec.Plan(raw, host, complainComment)
	if err != nil {
		return err
	}
	reportAdditions(e, adds, "complain: ")
	if edit.Empty() {
		fmt.Fprintf(e.stderr, "syscage: complain: no patch: nothing can be added without overriding a rule (edit the profile by hand)\n")
		return nil
	}
	text, err := oci.Edit(data, edit)
	if err == nil {
		err = checkEdit(ref, raw, text, covered, adds)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "syscage: complain: no patch: %v\n", err)
		return nil
	}
	patch := unifiedDiff(ref, string(data), string(text))
	if patchFile != "" {
		return writeOutput(e, patchFile, []byte(patch))
	}
	fmt.Fprint(e.stderr, patch)
	return nil
}

// complainComment marks the rules a complain patch adds.
const complainComment = "added by syscage run --complain"

// checkEdit proves the patched text: it parses, allows every call added
// (with any arguments when the rule added has no conditions), and decides
// every other call of every ABI as before.
func checkEdit(ref string, before *profile.Profile, text []byte, abis []arch.Arch, adds []record.Addition) error {
	after, err := oci.Parse(ref, text)
	if err != nil {
		return fmt.Errorf("the patched profile does not read back: %w", err)
	}
	var changed []string
	for _, a := range adds {
		if a.Added {
			changed = append(changed, a.Name)
		}
	}
	for _, a := range abis {
		if err := profile.SameExcept(before, after, a, changed); err != nil {
			return fmt.Errorf("the patch would change more than the calls logged: %w", err)
		}
	}
	for _, a := range adds {
		nr, ok := a.Arch.SyscallNumber(a.Name)
		if !a.Added || !ok {
			continue
		}
		v, err := profile.Evaluate(after, a.Arch, profile.Data{Nr: nr, Arch: a.Arch.Audit()})
		if err != nil || !v.Permits() {
			return fmt.Errorf("the patched profile still denies %s %s", a.Arch, a.Name)
		}
	}
	return nil
}

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

// unifiedDiff is a one-hunk unified diff of a and b, which differ in one
// region, with three lines of context.
func unifiedDiff(name, a, b string) string {
	lines := func(s string) []string {
		l := strings.SplitAfter(s, "\n")
		if l[len(l)-1] == "" {
			l = l[:len(l)-1]
		}
		return l
	}
	al, bl := lines(a), lines(b)
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	start := max(pre-3, 0)
	aEnd := min(len(al)-suf+3, len(al))
	bEnd := min(len(bl)-suf+3, len(bl))
	var w bytes.Buffer
	fmt.Fprintf(&w, "--- %s\n+++ %s\n@@ -%d,%d +%d,%d @@\n", name, name, start+1, aEnd-start, start+1, bEnd-start)
	line := func(prefix, s string) {
		w.WriteString(prefix + s)
		if !strings.HasSuffix(s, "\n") {
			w.WriteString("\n\\ No newline at end of file\n")
		}
	}
	for _, s := range al[start:pre] {
		line(" ", s)
	}
	for _, s := range al[pre : len(al)-suf] {
		line("-", s)
	}
	for _, s := range bl[pre : len(bl)-suf] {
		line("+", s)
	}
	for _, s := range al[len(al)-suf : aEnd] {
		line(" ", s)
	}
	return w.String()
}
