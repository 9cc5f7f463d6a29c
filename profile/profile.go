package profile

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile/internal/ruletree"
)

// Sentinel errors. Errors returned by this package wrap one of them.
var (
	// ErrInvalid reports a profile that runc or libseccomp would refuse,
	// or that the model cannot hold.
	ErrInvalid = errors.New("invalid profile")
	// ErrUnknownSyscall reports a system-call name an ABI does not have,
	// when the caller asked for strictness.
	ErrUnknownSyscall = errors.New("unknown system call")
	// ErrLibseccompLoop reports a rule that libseccomp never finishes
	// adding: the links of one level of its rule tree form a cycle, which
	// libseccomp walks forever (seen in the differential tests:
	// libseccomp hangs on the same profiles). The model notices a level
	// walk longer than the nodes it has ever made, stops with this error,
	// and the profile is refused rather than compiled.
	ErrLibseccompLoop = ruletree.ErrLibseccompLoop
	// ErrTooComplex reports argument rules whose processing exceeds
	// syscage's work bound: libseccomp's rule database (and its model
	// here) does work that grows exponentially with some sets of rules on
	// one system call, and so would the flat form of the rules. The bound
	// is far above what real profiles need; a profile over it is refused
	// with this error instead of taking minutes and gigabytes.
	ErrTooComplex = ruletree.ErrTooComplex
	// ErrNotExpressible reports a profile that a format cannot hold
	// exactly (see LossError), or a union of profiles that no profile can
	// hold (Merge).
	ErrNotExpressible = errors.New("not expressible in the target format")
)

// SyntaxError is the error of every profile parser: a message located in
// the input.
type SyntaxError struct {
	File string // name of the input as given to the parser
	Line int    // 1-based; 0 when unknown
	Col  int    // 1-based byte column; 0 when unknown
	Msg  string
	Err  error // underlying error (ErrInvalid, a JSON error, ...), or nil
}

// Error returns "file:line:col: message".
func (e *SyntaxError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// Unwrap returns the underlying error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// LossError is the error of every profile writer that cannot express a
// profile exactly in its format. The writers of the format packages
// return it unless they were asked to write the nearest form that is
// never more permissive.
type LossError struct {
	Format string // "lxc", "systemd", ...
	Losses []Loss
}

func (e *LossError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s cannot express %d part(s) of the profile:", e.Format, len(e.Losses))
	for _, l := range e.Losses {
		b.WriteString("\n  ")
		b.WriteString(l.String())
	}
	return b.String()
}

// Unwrap returns ErrNotExpressible.
func (e *LossError) Unwrap() error { return ErrNotExpressible }

// Loss is one thing a profile format cannot express, found while writing
// a profile in it.
type Loss struct {
	Rule int    `json:"rule,omitempty"` // 1-based index into Profile.Rules; 0 for the profile as a whole
	What string `json:"what"`           // what is lost, and (with lossy writing) what was written instead
}

// String returns "rule N: what" or "what".
func (l Loss) String() string {
	if l.Rule > 0 {
		return fmt.Sprintf("rule %d: %s", l.Rule, l.What)
	}
	return l.What
}

// Filter is a Docker-style condition on the environment a rule is used in
// (moby's includes and excludes).
type Filter struct {
	Caps      []string    // capabilities (CAP_*) of the container's bounding set
	Arches    []arch.Arch // the host's native ABI
	MinKernel string      // "<kernel>.<major>", such as "4.8"; "" for none
}

// IsZero reports whether f sets no condition.
func (f Filter) IsZero() bool { return len(f.Caps) == 0 && len(f.Arches) == 0 && f.MinKernel == "" }

// Rule gives an action to the system calls it names, when all its
// conditions hold.
type Rule struct {
	Names   []string
	Action  Action
	Conds   []Cond
	Comment string
	// Includes and Excludes are Docker's conditional rules; Resolve
	// evaluates them.
	Includes, Excludes Filter
}

// ArchMapEntry is one entry of Docker's archMap: on a host whose native
// ABI is Arch, the filter covers Arch and Sub.
type ArchMapEntry struct {
	Arch arch.Arch
	Sub  []arch.Arch
}

// Profile is a seccomp policy in the format-neutral model.
type Profile struct {
	Default Action
	// Arches are the ABIs the filter accepts besides the native one, which
	// libseccomp's seccomp_init always adds (as with runc, an empty list
	// means the native ABI only).
	Arches []arch.Arch
	// ArchMap is Docker's archMap, kept for round trips; Resolve turns it
	// into Arches.
	ArchMap []ArchMapEntry
	// Flags are SECCOMP_FILTER_FLAG_* names as written.
	Flags                          []string
	ListenerPath, ListenerMetadata string
	Rules                          []Rule
}

// Clone returns a deep copy of p.
func (p *Profile) Clone() *Profile {
	if p == nil {
		return nil
	}
	q := *p
	q.Arches = slices.Clone(p.Arches)
	q.Flags = slices.Clone(p.Flags)
	if p.ArchMap != nil {
		q.ArchMap = make([]ArchMapEntry, len(p.ArchMap))
		for i, e := range p.ArchMap {
			q.ArchMap[i] = ArchMapEntry{Arch: e.Arch, Sub: slices.Clone(e.Sub)}
		}
	}
	if p.Rules != nil {
		q.Rules = make([]Rule, len(p.Rules))
		for i, r := range p.Rules {
			q.Rules[i] = r.clone()
		}
	}
	return &q
}

func (r Rule) clone() Rule {
	r.Names = slices.Clone(r.Names)
	r.Conds = slices.Clone(r.Conds)
	r.Includes = r.Includes.clone()
	r.Excludes = r.Excludes.clone()
	return r
}

func (f Filter) clone() Filter {
	f.Caps = slices.Clone(f.Caps)
	f.Arches = slices.Clone(f.Arches)
	return f
}

// Conditional reports whether r applies only to some system calls of its
// names, or only in some environments: it has argument conditions,
// includes or excludes.
func (r Rule) Conditional() bool {
	return len(r.Conds) > 0 || !r.Includes.IsZero() || !r.Excludes.IsZero()
}

// EnvRules returns the indexes of p's rules whose includes or excludes
// test the capabilities (when caps) or the kernel version (when kernel):
// the rules Resolve decides differently for another Env.Caps or
// Env.Kernel.
func (p *Profile) EnvRules(caps, kernel bool) []int {
	var out []int
	for i, r := range p.Rules {
		c := len(r.Includes.Caps) > 0 || len(r.Excludes.Caps) > 0
		k := r.Includes.MinKernel != "" || r.Excludes.MinKernel != ""
		if c && caps || k && kernel {
			out = append(out, i)
		}
	}
	return out
}

// EnvCaveat says when a comparison of profiles ps (named names), each
// resolved for one Env, holds for that Env only: some of their rules
// test the capabilities (when caps: the comparison was not pinned to
// them) or the kernel version (when kernel), and the profiles are not
// the same, which would decide alike in every Env. "" when none applies.
func EnvCaveat(ps []*Profile, names []string, caps, kernel bool) string {
	var deps []string
	for i, p := range ps {
		var idx []string
		for _, j := range p.EnvRules(caps, kernel) {
			idx = append(idx, strconv.Itoa(j+1))
		}
		if len(idx) > 0 {
			deps = append(deps, fmt.Sprintf("%s's rules %s", names[i], strings.Join(idx, ", ")))
		}
	}
	if len(deps) == 0 || len(ps) == 2 && reflect.DeepEqual(ps[0], ps[1]) {
		return ""
	}
	return fmt.Sprintf("compared for Docker's default capabilities and this kernel only: %s depend on capabilities or the kernel version", strings.Join(deps, "; "))
}

// Conditional reports whether p has parts that depend on the environment:
// an archMap, or rules with includes or excludes.
func (p *Profile) Conditional() bool {
	if len(p.ArchMap) > 0 {
		return true
	}
	for _, r := range p.Rules {
		if !r.Includes.IsZero() || !r.Excludes.IsZero() {
			return true
		}
	}
	return false
}
