package fusion

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// The reason classes, in the order of the profile's rules.
const (
	Seen    = "seen"    // the recording saw the call
	Static  = "static"  // the code can reach it (a low-risk call)
	Sibling = "family"  // a sibling of a call seen
	Runtime = "runtime" // the kernel or the launch needs it
)

// Options control Fuse.
type Options struct {
	// Default is the action for everything else; the zero value means
	// ERRNO(EPERM).
	Default profile.Action
	// Comment heads the first rule's comment (the program recorded).
	Comment string
	// Args keeps the argument values the recording learned on every call
	// seen (record --args). Without it only the high-risk calls keep
	// them (clone's flags, socket's family, personality's persona); the
	// others are allowed with any arguments.
	Args bool
	// Risk overrides the classes: a class name (see HighRisk) or a
	// system call, mapped to true (high risk) or false (low risk).
	Risk map[string]bool
	// NoConds writes no argument conditions, for a format that cannot
	// hold them (systemd): a high-risk call seen is allowed with any
	// arguments, and one only reachable is withheld (no thread-only
	// clone, no AF_UNIX-only socket).
	NoConds bool
}

// Reason is why a system call is in the profile, or why it is not.
type Reason struct {
	Name  string
	Class string // Seen, Static, Sibling, Runtime
	// Why in words: "seen 12 times", "reachable from libc.so.6:realloc",
	// "family of write", "the return from every signal handler".
	Why string
	// Conditional reports that the call is allowed only with some
	// argument values.
	Conditional bool
}

// Result is a fused profile with the reason of every call it allows.
type Result struct {
	Profile *profile.Profile
	Allowed []Reason
	// Withheld are the high-risk calls the code can reach that the
	// recording never saw: the profile denies them.
	Withheld []Reason
}

// Count returns how many system calls are allowed for reason class.
func (r *Result) Count(class string) int {
	n := 0
	for _, a := range r.Allowed {
		if a.Class == class {
			n++
		}
	}
	return n
}

// Summary says in a line what r allows by reason class, and in another
// the high-risk calls it withholds (none: no line).
func (r *Result) Summary() []string {
	out := []string{fmt.Sprintf("%d calls allowed: %d seen, %d reachable in the code, %d siblings of calls seen, %d runtime needs (the reasons are in the rules' comments; syscage explain prints them)",
		len(r.Allowed), r.Count(Seen), r.Count(Static), r.Count(Sibling), r.Count(Runtime))}
	if len(r.Withheld) > 0 {
		names := make([]string, len(r.Withheld))
		for i, w := range r.Withheld {
			names[i] = w.Name
		}
		out = append(out, "high-risk calls the code can reach but the recording never saw stay denied: "+strings.Join(names, ", "))
	}
	return out
}

// ErrRisk reports a bad risk override.
var ErrRisk = errors.New("bad risk override")

// ParseRisk reads a risk override, NAME=high or NAME=low, where NAME is a
// class of HighRisk or a system call of arch a.
func ParseRisk(s string, a arch.Arch) (name string, high bool, err error) {
	name, level, ok := strings.Cut(s, "=")
	if !ok {
		return "", false, fmt.Errorf("%w %q: want NAME=high or NAME=low", ErrRisk, s)
	}
	switch strings.ToLower(level) {
	case "high":
		high = true
	case "low":
	default:
		return "", false, fmt.Errorf("%w %q: the level is high or low, not %q", ErrRisk, s, level)
	}
	if _, ok := a.SyscallNumber(name); ok {
		return name, high, nil
	}
	for _, c := range HighRisk {
		if c.Name == name {
			return name, high, nil
		}
	}
	return "", false, fmt.Errorf("%w %q: %q is no system call of %s and no class (%s)", ErrRisk, s, name, a, strings.Join(RiskClasses(), ", "))
}

// ParseRisks reads risk overrides (ParseRisk) into the map of
// Options.Risk; a later override of a name wins.
func ParseRisks(specs []string, a arch.Arch) (map[string]bool, error) {
	m := map[string]bool{}
	for _, s := range specs {
		name, high, err := ParseRisk(s, a)
		if err != nil {
			return nil, err
		}
		m[name] = high
	}
	return m, nil
}

// RiskClasses names the classes of HighRisk, in order.
func RiskClasses() []string {
	var names []string
	for _, c := range HighRisk {
		names = append(names, c.Name)
	}
	return names
}

// High reports whether the system call name is high-risk under the
// overrides risk.
func High(name string, risk map[string]bool) bool {
	if h, ok := risk[name]; ok {
		return h
	}
	for _, c := range HighRisk {
		if slices.Contains(c.Calls, name) {
			if h, ok := risk[c.Name]; ok {
				return h
			}
			return true
		}
	}
	return false
}

// learned are the arguments of high-risk calls a recording learns and a
// fused profile checks: only the values seen pass.
var learned = map[string]uint8{"clone": 0, "socket": 0, "personality": 0}

const (
	cloneThread = 0x10000 // CLONE_THREAD
	afUnix      = 1       // AF_UNIX
)

type seenCall struct {
	count  uint64
	idx    []uint8
	values [][]uint64 // nil: any
}

// Fuse builds the profile that allows what rec saw, what the analysed
// code (static, the results of the program and the programs it runs) can
// reach among the low-risk calls, the siblings of the calls seen and
// what the runtime needs, each with its reason; the high-risk calls
// only as seen, with the argument values seen where the recording
// learned them. Calls that glibc, systemd and runc fall back from on
// ENOSYS get ENOSYS when not allowed. static may be empty: the
// recording then stands alone (with its siblings).
func Fuse(rec *record.Recording, static []*analyze.Result, o Options) (*Result, error) {
	native := rec.Native
	if native == arch.Invalid {
		return nil, errors.New("fuse: the recording has no native ABI")
	}
	def := o.Default
	if def.Kind == 0 {
		def = profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
	}
	p := &profile.Profile{Default: def}
	abis := map[arch.Arch]bool{native: true}
	seen := map[string]*seenCall{}
	for _, c := range rec.Calls() {
		abis[c.Arch] = true
		s := seen[c.Name]
		if s == nil {
			s = &seenCall{idx: c.ArgIndexes, values: c.Values}
			seen[c.Name] = s
		} else if s.values != nil {
			if c.Values == nil || !slices.Equal(s.idx, c.ArgIndexes) {
				s.values = nil
			} else {
				s.values = append(s.values, c.Values...)
			}
		}
		s.count += c.Count
	}
	for a := range abis {
		if a != native {
			p.Arches = append(p.Arches, a)
		}
	}
	slices.Sort(p.Arches)
	p.Arches = slices.Insert(p.Arches, 0, native)
	known := func(name string) bool {
		for _, a := range p.Arches {
			if _, ok := a.SyscallNumber(name); ok {
				return true
			}
		}
		return false
	}

	res := &Result{Profile: p}
	allowed := map[string]bool{} // with any arguments
	type condRule struct {
		name   string
		conds  []profile.Cond
		reason string
	}
	var anySeen []string
	var conds []condRule
	condValues := map[string]map[uint64]bool{} // name -> learned values allowed
	names := slices.Sorted(maps.Keys(seen))
	seenWhy := map[string]string{}
	for _, name := range names {
		s := seen[name]
		why := fmt.Sprintf("seen %d times", s.count)
		if s.count == 1 {
			why = "seen once"
		}
		if name == "execve" && s.count == 1 {
			why = "seen once: the launcher's exec of the program"
		} else if name == "execve" {
			why = fmt.Sprintf("seen %d times (each run's launcher execs the program once)", s.count)
		}
		seenWhy[name] = why
		high := High(name, o.Risk)
		arg, learnable := learned[name]
		switch {
		case high && learnable && s.values != nil && !o.NoConds:
			vals := map[uint64]bool{}
			i := slices.Index(s.idx, arg)
			for _, v := range s.values {
				vals[v[i]] = true
			}
			condValues[name] = vals
			for _, v := range slices.Sorted(maps.Keys(vals)) {
				conds = append(conds, condRule{name, []profile.Cond{argEQ(native, name, arg, v)}, fmt.Sprintf("%s: %s, with arg%d == %#x as seen", name, why, arg, v)})
			}
			res.Allowed = append(res.Allowed, Reason{name, Seen, why + " (the values seen)", true})
		case !high && o.Args && s.values != nil && !o.NoConds:
			for _, v := range s.values {
				var cs []profile.Cond
				for j, a := range s.idx {
					cs = append(cs, argEQ(native, name, a, v[j]))
				}
				conds = append(conds, condRule{name, cs, fmt.Sprintf("%s: %s, with the arguments seen", name, why)})
			}
			res.Allowed = append(res.Allowed, Reason{name, Seen, why + " (the values seen)", true})
		default:
			anySeen = append(anySeen, name)
			allowed[name] = true
			res.Allowed = append(res.Allowed, Reason{Name: name, Class: Seen, Why: why})
		}
	}
	slices.SortStableFunc(conds, func(a, b condRule) int { return strings.Compare(a.name, b.name) })

	// What the code can reach.
	from := map[string]string{}
	for _, r := range static {
		if r == nil {
			continue
		}
		for _, c := range r.Calls {
			if _, ok := from[c.Name]; !ok {
				from[c.Name] = c.From
			}
		}
	}
	var anyStatic []string
	var staticWhy []string
	var staticConds []condRule
	for _, name := range slices.Sorted(maps.Keys(from)) {
		if allowed[name] || !known(name) {
			continue
		}
		why := "reachable from " + from[name]
		if !High(name, o.Risk) {
			if seen[name] != nil {
				// Seen with argument values kept (--args): the code
				// reaching it does not widen them.
				continue
			}
			anyStatic = append(anyStatic, name)
			staticWhy = append(staticWhy, name+" ("+from[name]+")")
			allowed[name] = true
			res.Allowed = append(res.Allowed, Reason{name, Static, why, false})
			continue
		}
		switch {
		case o.NoConds:
			if seen[name] == nil {
				res.Withheld = append(res.Withheld, Reason{name, Static, why + ": high-risk, never seen (and the format has no argument conditions)", false})
			}
		case name == "clone":
			staticConds = append(staticConds, condRule{name, []profile.Cond{{Arg: 0, Op: profile.OpMaskedEQ, Value: cloneThread, ValueTwo: cloneThread}},
				"clone: " + why + ": thread creation only (CLONE_THREAD); other flags only as seen"})
			res.Allowed = append(res.Allowed, Reason{name, Static, why + " (thread creation only)", true})
			if seen[name] == nil {
				res.Withheld = append(res.Withheld, Reason{name, Static, why + ": process creation (clone without CLONE_THREAD) never seen", false})
			}
		case name == "socket" && !condValues[name][afUnix]:
			staticConds = append(staticConds, condRule{name, []profile.Cond{argEQ(native, name, 0, afUnix)},
				"socket: " + why + ": AF_UNIX only; other families only as seen"})
			res.Allowed = append(res.Allowed, Reason{name, Static, why + " (AF_UNIX only)", true})
		default:
			if seen[name] == nil {
				res.Withheld = append(res.Withheld, Reason{name, Static, why + ": high-risk, never seen", false})
			}
		}
	}

	// Siblings of the calls seen.
	var anyFamily []string
	var familyWhy []string
	for _, f := range Families {
		var hit string
		for _, c := range f.Calls {
			if seen[c] != nil {
				hit = c
				break
			}
		}
		if hit == "" {
			continue
		}
		for _, c := range f.Calls {
			if allowed[c] || seen[c] != nil || High(c, o.Risk) || !known(c) {
				continue
			}
			why := fmt.Sprintf("family of %s: %s", hit, f.Why)
			anyFamily = append(anyFamily, c)
			familyWhy = append(familyWhy, c+" (of "+hit+")")
			allowed[c] = true
			res.Allowed = append(res.Allowed, Reason{c, Sibling, why, false})
		}
	}

	// What the runtime needs.
	var anyRuntime []string
	var runtimeWhy []string
	for _, f := range RuntimeNeeds {
		for _, c := range f.Calls {
			if allowed[c] || seen[c] != nil || High(c, o.Risk) || !known(c) {
				continue
			}
			anyRuntime = append(anyRuntime, c)
			runtimeWhy = append(runtimeWhy, c+" ("+f.Why+")")
			allowed[c] = true
			res.Allowed = append(res.Allowed, Reason{c, Runtime, "runtime needs: " + f.Why, false})
		}
	}

	allow := profile.Action{Kind: profile.ActAllow}
	head := ""
	if o.Comment != "" {
		head = o.Comment + "; "
	}
	if len(anySeen) > 0 {
		var parts []string
		for _, n := range anySeen {
			parts = append(parts, fmt.Sprintf("%s %s", n, strings.TrimPrefix(seenWhy[n], "seen ")))
		}
		p.Rules = append(p.Rules, profile.Rule{Names: anySeen, Action: allow, Comment: head + "seen in the recording: " + strings.Join(parts, ", ")})
		head = ""
	}
	for _, c := range conds {
		p.Rules = append(p.Rules, profile.Rule{Names: []string{c.name}, Action: allow, Conds: c.conds, Comment: head + c.reason})
		head = ""
	}
	if len(anyStatic) > 0 {
		slices.Sort(anyStatic)
		p.Rules = append(p.Rules, profile.Rule{Names: anyStatic, Action: allow, Comment: head + "reachable in the code, low-risk, not seen: " + strings.Join(staticWhy, ", ")})
		head = ""
	}
	for _, c := range staticConds {
		p.Rules = append(p.Rules, profile.Rule{Names: []string{c.name}, Action: allow, Conds: c.conds, Comment: head + c.reason})
		head = ""
	}
	if len(anyFamily) > 0 {
		p.Rules = append(p.Rules, profile.Rule{Names: sorted(anyFamily), Action: allow, Comment: head + "siblings of calls seen: " + strings.Join(familyWhy, ", ") + "; " + familyReasons(anyFamily)})
		head = ""
	}
	if len(anyRuntime) > 0 {
		p.Rules = append(p.Rules, profile.Rule{Names: sorted(anyRuntime), Action: allow, Comment: head + "runtime needs: " + strings.Join(runtimeWhy, ", ")})
	}
	if !def.Permits() && (def.Kind != profile.ActErrno || def.Data != enosys) {
		var fb []string
		for _, name := range record.ENOSYSFallbacks() {
			if !allowed[name] && condValues[name] == nil && known(name) {
				fb = append(fb, name)
			}
		}
		if len(fb) > 0 {
			p.Rules = append(p.Rules, profile.Rule{Names: fb, Action: profile.Action{Kind: profile.ActErrno, Data: enosys},
				Comment: "not allowed; ENOSYS so that glibc, Go, systemd and runc fall back to the older calls"})
		}
	}
	slices.SortFunc(res.Allowed, func(a, b Reason) int { return strings.Compare(a.Name, b.Name) })
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("fuse: %w", err)
	}
	return res, nil
}

const enosys = 38

// argEQ is the condition arg i of name == v. For an argument the kernel
// reads as 32 bits (socket's int family) it compares those bits only
// (MASKED_EQ 0xffffffff): a 64-bit compare would let a caller who sets
// the ignored high bits past a deny, and deny the value it was written
// for when a caller leaves garbage there (lint's int-high-bits).
func argEQ(a arch.Arch, name string, i uint8, v uint64) profile.Cond {
	if bits, ok := a.ArgBits(name, int(i)); ok && bits == 32 && a.Bits() == 64 {
		return profile.Cond{Arg: i, Op: profile.OpMaskedEQ, Value: 0xffffffff, ValueTwo: v & 0xffffffff}
	}
	return profile.Cond{Arg: i, Op: profile.OpEQ, Value: v}
}

// familyReasons names the families of calls, with why each is one.
func familyReasons(calls []string) string {
	var out []string
	for _, f := range Families {
		for _, c := range f.Calls {
			if slices.Contains(calls, c) {
				out = append(out, f.Name+": "+f.Why)
				break
			}
		}
	}
	return strings.Join(out, "; ")
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
