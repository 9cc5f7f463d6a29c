package oci

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/profile"
)

// Edit makes e in the text of an OCI profile (or of the linux.seccomp
// object of a config.json) without rewriting the rest: names are cut out
// of their rules' arrays (a rule left without names is cut out of
// "syscalls"), and the rules appended go at the end of "syscalls", one
// line each. Order, spacing and every other field stay as they were, so
// a diff of the result shows exactly the edit. Rule indexes are those of
// Parse(data).Rules.
func Edit(data []byte, e profile.Edit) ([]byte, error) {
	root, err := parseJSON(data)
	if err != nil || root.kind != kObject {
		return nil, fmt.Errorf("edit: not a JSON object: %v", err)
	}
	obj := root
	if isConfig(&root) {
		linux, _ := root.get("linux")
		if obj, _ = linux.get("seccomp"); obj.kind != kObject {
			return nil, fmt.Errorf("edit: config has no linux.seccomp object")
		}
	}
	rules, has := obj.get("syscalls")
	if has && rules.kind != kArray {
		return nil, fmt.Errorf("edit: syscalls is not an array")
	}
	var cuts []span
	// Names out of rules.
	byRule := map[int][]string{}
	for _, r := range e.Remove {
		if r.Rule < 0 || r.Rule >= len(rules.elems) {
			return nil, fmt.Errorf("edit: no rule %d", r.Rule+1)
		}
		byRule[r.Rule] = append(byRule[r.Rule], r.Name)
	}
	dropped := map[int]bool{}
	for i, names := range byRule {
		rule := rules.elems[i]
		arr, hasArr := rule.get("names")
		one, hasOne := rule.get("name")
		left := 0
		var gone []int
		if hasArr && arr.kind == kArray {
			for j, el := range arr.elems {
				if el.kind == kString && slices.Contains(names, el.str) {
					gone = append(gone, j)
				} else {
					left++
				}
			}
		}
		oneGone := hasOne && one.kind == kString && slices.Contains(names, one.str)
		if hasOne && !oneGone {
			left++
		}
		if len(gone) == 0 && !oneGone {
			return nil, fmt.Errorf("edit: rule %d does not name %s", i+1, strings.Join(names, ", "))
		}
		if left == 0 {
			dropped[i] = true
			continue
		}
		if oneGone {
			return nil, fmt.Errorf("edit: rule %d names %s in \"name\" beside \"names\"", i+1, one.str)
		}
		cuts = append(cuts, cutElems(arr, gone)...)
	}
	if len(dropped) > 0 {
		var gone []int
		for i := range rules.elems {
			if dropped[i] {
				gone = append(gone, i)
			}
		}
		cuts = append(cuts, cutElems(rules, gone)...)
	}
	// Rules appended.
	if len(e.Append) > 0 {
		var lines []string
		for _, r := range e.Append {
			js, err := syscallOf(r)
			if err != nil {
				return nil, fmt.Errorf("edit: %w", err)
			}
			b, err := json.Marshal(js)
			if err != nil {
				return nil, fmt.Errorf("edit: %w", err)
			}
			lines = append(lines, string(b))
		}
		if has {
			indent := "\t\t"
			at := rules.off + 1
			sep := ""
			if n := len(rules.elems); n > len(dropped) {
				first := rules.elems[0]
				indent = lineIndent(data, first.off, indent)
				last := n - 1
				for dropped[last] {
					last--
				}
				at, sep = rules.elems[last].end, ","
			}
			cuts = append(cuts, span{at, at, sep + "\n" + indent + strings.Join(lines, ",\n"+indent)})
		} else {
			sep := ""
			if len(obj.members) > 0 {
				sep = ","
			}
			cuts = append(cuts, span{obj.off + 1, obj.off + 1, "\n\t\"syscalls\": [\n\t\t" + strings.Join(lines, ",\n\t\t") + "\n\t]" + sep})
		}
	}
	// From the end, so that offsets stay valid; at one offset the cut
	// before the insertion.
	slices.SortFunc(cuts, func(a, b span) int {
		if a.from != b.from {
			return b.from - a.from
		}
		return b.to - a.to
	})
	out := slices.Clone(data)
	for _, c := range cuts {
		out = slices.Concat(out[:c.from], []byte(c.text), out[c.to:])
	}
	return out, nil
}

// span replaces data[from:to] by text.
type span struct {
	from, to int
	text     string
}

// cutElems returns the spans that remove the elements gone (sorted
// indexes) of array arr with their separators: an element followed by a
// kept one goes with the space up to it, the others with the comma
// before them; all of them leave "[]".
func cutElems(arr value, gone []int) []span {
	n := len(arr.elems)
	if len(gone) == n {
		return []span{{arr.off + 1, arr.end - 1, ""}}
	}
	lastKept := n - 1
	for slices.Contains(gone, lastKept) {
		lastKept--
	}
	var out []span
	for _, k := range gone {
		if k < lastKept {
			out = append(out, span{arr.elems[k].off, arr.elems[k+1].off, ""})
		} else {
			out = append(out, span{arr.elems[k-1].end, arr.elems[k].end, ""})
		}
	}
	return out
}

// lineIndent returns the blanks that begin the line of data holding off,
// when only blanks come before off on it; else def.
func lineIndent(data []byte, off int, def string) string {
	i := off
	for i > 0 && (data[i-1] == ' ' || data[i-1] == '\t') {
		i--
	}
	if i > 0 && data[i-1] != '\n' {
		return def
	}
	return string(data[i:off])
}
