package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
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
// for host. Only the rule that decided a call is edited, a deny is never
// taken out of a rule that did not decide the call nor overridden, and
// what the patch lets run beyond the calls recorded is listed
// (record.Recording.Plan, which proves it); the rules added carry
// comment.
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
		if raw != nil {
			fileRules(raw, p, adds)
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
		err = checkEdit(name, raw, text, host, append([]arch.Arch{host}, p.Arches...), edit)
	}
	if err != nil {
		pt.Why = err.Error()
		return pt, nil
	}
	pt.Diff = unifiedDiff(name, string(data), string(text))
	return pt, nil
}

// fileRules turns the rule indexes of adds, which are p's, into those of
// raw, the file p was resolved from: Resolve keeps the rules it does not
// drop as they are, in order (without includes and excludes). Where p's rules are not found so in raw,
// adds are left as they are.
func fileRules(raw, p *profile.Profile, adds []record.Addition) {
	idx := make([]int, len(p.Rules))
	j := 0
	for i, r := range p.Rules {
		for j < len(raw.Rules) && !sameRule(raw.Rules[j], r) {
			j++
		}
		if j == len(raw.Rules) {
			return
		}
		idx[i] = j
		j++
	}
	re := func(rs []int) {
		for k, i := range rs {
			rs[k] = idx[i]
		}
	}
	for k := range adds {
		re(adds[k].Undenied)
		re(adds[k].Wider)
		re(adds[k].Guards)
	}
}

// sameRule reports whether a and b are one rule but for includes and
// excludes, which Resolve clears.
func sameRule(a, b profile.Rule) bool {
	a.Includes, a.Excludes, b.Includes, b.Excludes = profile.Filter{}, profile.Filter{}, profile.Filter{}, profile.Filter{}
	return reflect.DeepEqual(a, b)
}

// checkEdit proves the patched text: it parses, and decides every call
// of every ABI (abis) exactly as the edit made on the model (which
// record.Recording.Plan proved against the profile before), with the same
// default and architectures.
func checkEdit(name string, before *profile.Profile, text []byte, host arch.Arch, abis []arch.Arch, edit profile.Edit) error {
	after, err := oci.Parse(name, text)
	if err != nil {
		return fmt.Errorf("the patched profile does not read back: %w", err)
	}
	want, err := edit.Apply(before)
	if err != nil {
		return err
	}
	if after.Default != want.Default || !slices.Equal(after.Arches, want.Arches) || after.Conditional() {
		return fmt.Errorf("the patched profile's default or architectures differ from the edit's")
	}
	for _, a := range abis {
		diffs, err := profile.Compare(want, after, host, a, nil)
		if err != nil {
			return fmt.Errorf("the patched profile is not proven: %w", err)
		}
		if len(diffs) > 0 {
			return fmt.Errorf("the patched profile decides %s %s otherwise than the edit", a, diffs[0].Name)
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
