package profile

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/syscage/syscage/arch"
)

// Outcome is one verdict a profile gives a system call, with an example
// of the arguments it gives it for.
type Outcome struct {
	Verdict
	Args [6]uint64
}

// Outcomes returns every verdict (action and deciding rule) that p gives
// system call nr of ABI a, in a filter built for native, for arguments
// that satisfy all of within (nil: any arguments), each once with an
// example of the arguments. The answer is exact (see classes): the
// verdicts come from Explain, on one argument vector of each class of
// values that the conditions of p's rules for nr tell apart. The error
// wraps ErrUndecided when there are too many classes to try.
func Outcomes(p *Profile, native, a arch.Arch, nr uint32, within []Cond) ([]Outcome, error) {
	name, _ := a.SyscallName(nr)
	eval, paths, err := explainer(p, native, a.Audit(), nr)
	if err != nil {
		return nil, err
	}
	conds, err := paths()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a, name, err)
	}
	cls, err := callClasses(a, nr, append(conds, within...), p)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a, name, err)
	}
	var out []Outcome
	err = combos(cls, func(args [6]uint64, _ [6]int) bool {
		if !holds(a, within, args) {
			return true
		}
		v := eval(args)
		for _, o := range out {
			if o.Verdict == v {
				return true
			}
		}
		out = append(out, Outcome{Verdict: v, Args: args})
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a, name, err)
	}
	return out, nil
}

// CallDiff is a system call that two profiles decide differently.
type CallDiff struct {
	Arch arch.Arch
	Nr   uint32
	Name string
	// All reports that the profiles decide it differently whatever its
	// arguments; else only for some.
	All bool
	// Changes are the classes of arguments decided differently, one
	// example each.
	Changes []Change
}

// Change is one class of arguments of a system call that two profiles
// decide differently.
type Change struct {
	Args          [6]uint64
	Before, After Verdict
}

// Compare returns the system calls of ABI a that p and q decide
// differently (filters built for native; both must cover a), each with
// the classes of its arguments decided differently. The answer is exact:
// the numbers no rule of either profile names get the defaults, and the
// others are tried with Explain on one argument vector per class of
// values that the conditions of both profiles' rules tell apart (see
// classes), the classes split further by split[nr]. Two verdicts differ
// when their actions do; which rule decides may change. The error wraps
// ErrUndecided when there are too many classes to try: Compare never
// answers "no difference" without having proven it.
func Compare(p, q *Profile, native, a arch.Arch, split map[uint32][]Cond) ([]CallDiff, error) {
	tp, err := p.Table(a, TableOptions{})
	if err != nil {
		return nil, fmt.Errorf("compare on %s: %w", a, err)
	}
	tq, err := q.Table(a, TableOptions{})
	if err != nil {
		return nil, fmt.Errorf("compare on %s: %w", a, err)
	}
	if tp.Default != tq.Default {
		return nil, fmt.Errorf("compare on %s: the default %v became %v", a, tp.Default, tq.Default)
	}
	// Every number either table names, in order.
	var nrs []uint32
	i, j := 0, 0
	for i < len(tp.Syscalls) || j < len(tq.Syscalls) {
		switch {
		case j == len(tq.Syscalls) || i < len(tp.Syscalls) && tp.Syscalls[i].Nr < tq.Syscalls[j].Nr:
			nrs = append(nrs, tp.Syscalls[i].Nr)
			i++
		case i == len(tp.Syscalls) || tq.Syscalls[j].Nr < tp.Syscalls[i].Nr:
			nrs = append(nrs, tq.Syscalls[j].Nr)
			j++
		default:
			nrs = append(nrs, tp.Syscalls[i].Nr)
			i++
			j++
		}
	}
	var diff []uint32
	for _, nr := range nrs {
		ep, okP := tp.Lookup(nr)
		eq, okQ := tq.Lookup(nr)
		if !okP || !okQ || !sameEntry(ep, eq) {
			diff = append(diff, nr)
		}
	}
	return CompareCalls(p, q, native, a, diff, split)
}

// CompareCalls is Compare for the system calls nrs of ABI a only.
func CompareCalls(p, q *Profile, native, a arch.Arch, nrs []uint32, split map[uint32][]Cond) ([]CallDiff, error) {
	var out []CallDiff
	for _, nr := range nrs {
		name, _ := a.SyscallName(nr)
		evalP, pathsP, err := explainer(p, native, a.Audit(), nr)
		if err != nil {
			return nil, fmt.Errorf("compare %s %s: %w", a, name, err)
		}
		evalQ, pathsQ, err := explainer(q, native, a.Audit(), nr)
		if err != nil {
			return nil, fmt.Errorf("compare %s %s: %w", a, name, err)
		}
		cp, err1 := pathsP()
		cq, err2 := pathsQ()
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("compare %s %s: %w", a, name, err)
		}
		cls, err := callClasses(a, nr, slices.Concat(cp, cq, split[nr]), p, q)
		if err != nil {
			return nil, fmt.Errorf("compare %s %s: %w", a, name, err)
		}
		d := CallDiff{Arch: a, Nr: nr, Name: name, All: true}
		err = combos(cls, func(args [6]uint64, _ [6]int) bool {
			vp, vq := evalP(args), evalQ(args)
			if vp.Action == vq.Action {
				d.All = false
				return true
			}
			d.Changes = append(d.Changes, Change{Args: args, Before: vp, After: vq})
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("compare %s %s: %w", a, name, err)
		}
		if len(d.Changes) > 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// sameEntry reports whether two entries decide alike, whichever rules
// they come from.
func sameEntry(a, b Entry) bool {
	a.Rules, b.Rules = noOrigins(a.Rules), noOrigins(b.Rules)
	return reflect.DeepEqual(a, b)
}

func noOrigins(rs []CondRule) []CondRule {
	out := make([]CondRule, len(rs))
	for i, r := range rs {
		r.Origin = 0
		out[i] = r
	}
	return out
}

// callClasses splits the values of each argument of system call nr of
// ABI a by every condition that can decide it in the profiles ps: those
// of the rules that reach it (directly, or through socketcall(2) or
// ipc(2) with the sub-call's condition on the first argument), and extra
// (the conditions of its Table entries, which libseccomp's rule tree
// decides by).
func callClasses(a arch.Arch, nr uint32, extra []Cond, ps ...*Profile) ([MaxArg + 1][]argClass, error) {
	conds := append([]Cond(nil), extra...)
	for _, p := range ps {
		for _, r := range p.Rules {
			for _, name := range r.Names {
				direct, okD := a.SyscallNumber(name)
				m, okM := a.Multiplexed(name)
				okD = okD && direct == nr
				okM = okM && m.Nr == nr
				if okM {
					conds = append(conds, Cond{Arg: 0, Op: OpEQ, Value: uint64(m.Call)})
				}
				if okD || okM {
					conds = append(conds, r.Conds...)
				}
			}
		}
	}
	return classes(a, Entry{Rules: []CondRule{{Conds: conds}}})
}

// holds reports whether args satisfy every condition of conds on ABI a
// (on 32-bit ABIs, the low words).
func holds(a arch.Arch, conds []Cond, args [6]uint64) bool {
	for _, c := range conds {
		v := args[c.Arg]
		if a.Bits() == 32 {
			v &= 0xffffffff
			c = c.Low32()
		}
		if !c.Match(v) {
			return false
		}
	}
	return true
}
