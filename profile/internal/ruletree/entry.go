package ruletree

import (
	"errors"
	"maps"
	"slices"
)

// entryFromTree fills e from the rule tree of db: its flat rules and, with
// decisions, its Decision.
func entryFromTree(e *Entry, db *sysDB, def Action, wide bool, decisions bool) error {
	var dec *Decision
	if decisions {
		var err error
		if dec, err = decision(db.chains, def); err != nil {
			return err
		}
		if dec.Leaf {
			e.Action = dec.Action
			return nil
		}
	}
	// With a Decision the rules are only worth listing when they are not
	// many more than its nodes: the compiler emits the shorter.
	paths, tries := maxPaths, maxSimplifySteps
	if dec != nil {
		n := dec.Size()
		paths, tries = min(paths, 2*n+64), min(tries, 16*n+1024)
	}
	flat, err := flatten(db.chains, wide, paths)
	if errors.Is(err, ErrTooComplex) && dec != nil {
		e.Decision = dec
		return nil
	}
	if err != nil {
		return err
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
			return nil
		}
		if err != nil {
			return err
		}
		e.Rules, e.Decision = rules, dec
	}
	// When the flat rules find the entry unconditional, dec may still test
	// what cannot vary (a low word above 0xffffffff); the entry is
	// unconditional either way.
	return nil
}

// origins returns the origins of the actions the tree holds, sorted.
func origins(chains *node) []int {
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
	walk(chains)
	return slices.Sorted(maps.Keys(rules))
}
