package record

import (
	"strconv"
	"strings"
)

// String says in one line what adding a recording to a profile did for
// the call: "added x86_64 read" with what the edit took out, widened or
// let run beyond the call, or "not added x86_64 ioctl: " and why. Rules
// are numbered from 1, as the profile's text shows them.
func (a Addition) String() string {
	if !a.Added {
		if len(a.Guards) > 0 {
			return "not added " + a.Arch.String() + " " + a.Name + ": rule " + ruleList(a.Guards) + " denies it under conditions, which an allow without conditions would override, and the record has no argument values to tell which calls the program made (record with --args, or edit by hand)"
		}
		return "not added " + a.Arch.String() + " " + a.Name + ": " + a.Why + " (edit by hand)"
	}
	msg := "added " + a.Arch.String() + " " + a.Name
	if len(a.Undenied) > 0 {
		msg += ", taken out of denying rule " + ruleList(a.Undenied)
	}
	if len(a.Wider) > 0 {
		msg += ", without conditions: wider than rule " + ruleList(a.Wider) + " allowed it (the record has no argument values)"
	}
	if a.AnyArgs {
		msg += ", with any arguments: wider than the values recorded (the call of that name on another ABI has none)"
	}
	if len(a.Guards) > 0 {
		msg += ", still denied where the conditions of rule " + ruleList(a.Guards) + " hold"
	}
	if len(a.Beyond) > 0 {
		bs := make([]string, len(a.Beyond))
		for i, b := range a.Beyond {
			bs[i] = b.String()
		}
		msg += "; wider than the call logged: it also lets run " + strings.Join(bs, ", ")
	}
	return msg
}

// ruleList numbers the rules idx (0-based) from 1, joined with ", ".
func ruleList(idx []int) string {
	s := make([]string, len(idx))
	for i, n := range idx {
		s[i] = strconv.Itoa(n + 1)
	}
	return strings.Join(s, ", ")
}

// NotAdded counts the additions that were not made.
func NotAdded(adds []Addition) int {
	n := 0
	for _, a := range adds {
		if !a.Added {
			n++
		}
	}
	return n
}
