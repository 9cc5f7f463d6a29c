package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
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
// and a patch that allows them.
func complainReport(e *env, limited bool, ref string, p *profile.Profile, host arch.Arch, events []audit.Event, patchFile string, reload func(name string, data []byte) (*profile.Profile, error)) error {
	covered := append([]arch.Arch{host}, p.Arches...)
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
		rule, _ := json.Marshal(allowRule(names))
		fmt.Fprintf(e.stderr, "syscage: complain: %s is a built-in profile; allow them in a copy of it, for example with this rule first:\n%s\n", ref, rule)
		return nil
	}
	text, ok := fixText(data, p, names)
	if ok {
		if q, err := reload(ref, []byte(text)); err != nil || !allows(q, host, names) {
			ok = false
		}
	}
	if !ok {
		fmt.Fprintf(e.stderr, "syscage: complain: no patch: the profile's rules for these calls need editing by hand\n")
		return nil
	}
	patch := unifiedDiff(ref, string(data), text)
	if patchFile != "" {
		return writeOutput(e, patchFile, []byte(patch))
	}
	fmt.Fprint(e.stderr, patch)
	return nil
}

func allowRule(names []string) any {
	return struct {
		Names   []string `json:"names"`
		Action  string   `json:"action"`
		Comment string   `json:"comment"`
	}{names, "SCMP_ACT_ALLOW", "added by syscage run --complain"}
}

// allows reports whether q allows every name (with zero arguments) on
// host.
func allows(q *profile.Profile, host arch.Arch, names []string) bool {
	for _, n := range names {
		nr, ok := host.SyscallNumber(n)
		if !ok {
			return false
		}
		a, err := profile.Evaluate(q, host, profile.Data{Nr: nr, Arch: host.Audit()})
		if err != nil || (a.Kind != profile.ActAllow && a.Kind != profile.ActLog) {
			return false
		}
	}
	return true
}

// fixText edits the OCI profile text data so that it allows names: with
// a default that denies, a rule allowing them goes first (the first
// unconditional rule for a call wins); with an ALLOW default, rules that
// allow are ignored (runc skips rules with the default's action), so the
// names are taken out of the rules that deny them.
func fixText(data []byte, p *profile.Profile, names []string) (string, bool) {
	text := string(data)
	if p.Default.Kind != profile.ActAllow {
		rule, _ := json.Marshal(allowRule(names))
		return insertRule(text, string(rule)), true
	}
	for _, n := range names {
		q := regexp.QuoteMeta(strconv.Quote(n))
		changed := false
		for _, re := range []*regexp.Regexp{regexp.MustCompile(q + `\s*,\s*`), regexp.MustCompile(`\s*,\s*` + q)} {
			if re.MatchString(text) {
				text = re.ReplaceAllString(text, "")
				changed = true
				break
			}
		}
		if !changed {
			return "", false // the only name of its rule
		}
	}
	return text, true
}

// insertRule adds rule first in the "syscalls" array of the OCI profile
// text (or adds the array).
func insertRule(text, rule string) string {
	var out string
	if i := strings.Index(text, `"syscalls"`); i >= 0 {
		if j := strings.IndexByte(text[i:], '['); j >= 0 {
			at := i + j + 1
			sep := ","
			if rest := strings.TrimLeft(text[at:], " \t\r\n"); strings.HasPrefix(rest, "]") {
				sep = ""
			}
			out = text[:at] + "\n\t\t" + rule + sep + text[at:]
		}
	}
	if out == "" {
		at := strings.IndexByte(text, '{') + 1
		out = text[:at] + "\n\t\"syscalls\": [" + rule + "]," + text[at:]
	}
	return out
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
