package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
)

// Patch is what it takes to make a profile file allow a recording.
type Patch struct {
	// Adds is what was done for each call (record.Recording.Plan).
	Adds []record.Addition
	// NotPlain is why the file is no plain Docker/OCI seccomp JSON
	// profile, which alone is patched; Adds are then for the profile
	// given.
	NotPlain error
	// Diff is a unified diff of the file that makes the additions, made
	// in the file's own text (oci.Edit) and shown to decide every other
	// call of every ABI the profile covers as before; nil when there is
	// none, and Why says why.
	Diff []byte
	Why  string
}

// MakePatch works out the patch of the profile file name, which holds
// data, that allows what rec recorded; p is the file's profile resolved
// for host. Only the rule that decided a call is edited, and a
// conditional deny is never overridden (record.Recording.Plan); the
// rules added carry comment.
func MakePatch(name string, data []byte, p *profile.Profile, host arch.Arch, rec *record.Recording, comment string) (*Patch, error) {
	raw, err := oci.Parse(name, data)
	if err == nil && raw.Conditional() {
		err = errors.New("it has includes, excludes or an archMap")
	}
	if err != nil {
		_, adds, perr := rec.Plan(p, host, comment)
		if perr != nil {
			return nil, perr
		}
		return &Patch{Adds: adds, NotPlain: err}, nil
	}
	edit, adds, err := rec.Plan(raw, host, comment)
	if err != nil {
		return nil, err
	}
	pt := &Patch{Adds: adds}
	if edit.Empty() {
		pt.Why = "nothing can be added without overriding a rule (edit the profile by hand)"
		return pt, nil
	}
	text, err := oci.Edit(data, edit)
	if err == nil {
		err = checkEdit(name, raw, text, append([]arch.Arch{host}, p.Arches...), adds)
	}
	if err != nil {
		pt.Why = err.Error()
		return pt, nil
	}
	pt.Diff = unifiedDiff(name, string(data), string(text))
	return pt, nil
}

// checkEdit proves the patched text: it parses, allows every call added
// (with any arguments when the rule added has no conditions), and decides
// every other call of every ABI as before.
func checkEdit(name string, before *profile.Profile, text []byte, abis []arch.Arch, adds []record.Addition) error {
	after, err := oci.Parse(name, text)
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

// unifiedDiff is a one-hunk unified diff of a and b, which differ in one
// region, with three lines of context.
func unifiedDiff(name, a, b string) []byte {
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
	return w.Bytes()
}
