package ruletree

import (
	"errors"
	"maps"
	"slices"
)

// This file is the interface of the package: what package profile asks
// of the databases it builds.

// Add adds one rule as seccomp_rule_add does, for a 64-bit ABI (wide) or
// a 32-bit one: at most one condition per argument (runc's grouping
// guarantees it). origin is handed back with the rule's action. The error
// is ErrExist when libseccomp refuses the rule, or wraps ErrTooComplex or
// ErrLibseccompLoop.
func (s *DB) Add(a Action, origin int, conds []Cond, wide bool) error {
	return s.ruleAdd(newLSRule(a, origin, conds), wide)
}

// Eval returns the action the BPF generated from s gives a system call
// with arguments args (on 32-bit ABIs their low words), and the origin of
// the rule it comes from; ok is false when no rule decides (the filter's
// default applies).
func (s *DB) Eval(args *[6]uint64) (a Action, origin int, ok bool) {
	switch {
	case !s.exists:
		return 0, 0, false
	case s.chains == nil:
		return s.action, s.origin, true
	}
	return eval(s.chains, args, map[*node]evalResult{})
}

// Entry is what decides a system call, laid out for a compiler.
type Entry struct {
	// Action is the action when the entry is not conditional: Rules is
	// empty and Decision nil.
	Action Action
	// Rules are tried in order; the first whose conditions all hold
	// decides, and the default applies when none does.
	Rules []CondRule
	// Decision decides the entry from the arguments when it is
	// conditional and Entry was asked for it (else nil). It agrees with
	// Rules, which may be nil where they are too many to list.
	Decision *Decision
}

// Entry returns what decides the system call of s, a database that holds
// a rule, with def the filter's default action: the paths of its tree as
// rules (flatten.go), simplified, and with decisions its Decision too.
// Without decisions, rules too complex to list are an error
// (ErrTooComplex).
func (s *DB) Entry(def Action, wide, decisions bool) (Entry, error) {
	var e Entry
	if s.chains == nil {
		e.Action = s.action
		return e, nil
	}
	var dec *Decision
	if decisions {
		var err error
		if dec, err = decision(s.chains, def); err != nil {
			return e, err
		}
		if dec.Leaf {
			e.Action = dec.Action
			return e, nil
		}
	}
	// With a Decision the rules are only worth listing when they are not
	// many more than its nodes: the compiler emits the shorter.
	paths, tries := maxPaths, maxSimplifySteps
	if dec != nil {
		n := dec.Size()
		paths, tries = min(paths, 2*n+64), min(tries, 16*n+1024)
	}
	flat, err := flatten(s.chains, wide, paths)
	if errors.Is(err, ErrTooComplex) && dec != nil {
		e.Decision = dec
		return e, nil
	}
	if err != nil {
		return e, err
	}
	flat = simplify(flat, def, tries)
	switch {
	case len(flat) == 0:
		e.Action = def
	case flat[0].always():
		e.Action = flat[0].action
	default:
		rules, err := condRules(flat)
		if errors.Is(err, ErrTooComplex) && dec != nil {
			e.Decision = dec
			return e, nil
		}
		if err != nil {
			return e, err
		}
		e.Rules, e.Decision = rules, dec
	}
	// When the flat rules find the entry unconditional, dec may still test
	// what cannot vary (a low word above 0xffffffff); the entry is
	// unconditional either way.
	return e, nil
}

// Origins returns the origins of the actions the tree of s holds, sorted.
func (s *DB) Origins() []int {
	rules := map[int]bool{}
	levels := map[*node]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n = first(n); levels[n] {
			return
		}
		levels[n] = true
		for ; n != nil; n = n.nxt {
			if n.hasT {
				rules[n.origT] = true
			}
			if n.hasF {
				rules[n.origF] = true
			}
			if n.nxtT != nil {
				walk(n.nxtT)
			}
			if n.nxtF != nil {
				walk(n.nxtF)
			}
		}
	}
	walk(s.chains)
	return slices.Sorted(maps.Keys(rules))
}

// MuxConds returns the conditions of the rule libseccomp's abi_rule_add
// derives for the multiplexer (socketcall, ipc) of a system call it
// routes through one: the first argument replaced by EQ call, the other
// conditions kept.
func MuxConds(conds []Cond, call uint32) []Cond {
	out := []Cond{{Arg: 0, Op: OpEQ, Value: uint64(call)}}
	for _, c := range conds {
		if c.Arg != 0 {
			out = append(out, c)
		}
	}
	return out
}
