package profile

import (
	"fmt"
	"strings"

	"github.com/syscage/syscage/profile/internal/ruletree"
)

// The model of libseccomp's rule database (package ruletree) keeps
// actions as values it only compares, and comparisons as libseccomp's
// SCMP_CMP_* numbers, which Op shares. These convert between the two.

// treeAction packs a into the tree's Action; fromTree unpacks it.
func treeAction(a Action) ruletree.Action {
	return ruletree.Action(a.Kind)<<16 | ruletree.Action(a.Data)
}

func fromTree(a ruletree.Action) Action {
	return Action{Kind: ActionKind(a >> 16), Data: uint16(a)}
}

// treeGroups returns the libseccomp rules runc adds for a rule with
// conditions conds (see Conjunctions), as the tree takes them.
func treeGroups(conds []Cond) [][]ruletree.Cond {
	if len(conds) == 0 {
		return noTreeConds
	}
	groups := Conjunctions(conds)
	out := make([][]ruletree.Cond, len(groups))
	for i, g := range groups {
		out[i] = make([]ruletree.Cond, len(g))
		for j, c := range g {
			out[i][j] = ruletree.Cond{Arg: c.Arg, Op: ruletree.Op(c.Op), Value: c.Value, ValueTwo: c.ValueTwo}
		}
	}
	return out
}

var noTreeConds = [][]ruletree.Cond{nil}

// entryFromTree returns the Entry of system call nr from what its
// database decides, with def the profile's default action.
func entryFromTree(nr uint32, def Action, te ruletree.Entry) Entry {
	e := Entry{Nr: nr, Action: fromTree(te.Action), Fallback: def}
	if te.Rules != nil {
		n := 0
		for _, r := range te.Rules {
			n += len(r.Conds)
		}
		all := make([]Cond, 0, n) // one array for the conditions of every rule
		e.Rules = make([]CondRule, len(te.Rules))
		for i, r := range te.Rules {
			start := len(all)
			for _, c := range r.Conds {
				all = append(all, Cond{Arg: c.Arg, Op: Op(c.Op), Value: c.Value, ValueTwo: c.ValueTwo})
			}
			e.Rules[i] = CondRule{Conds: all[start:len(all):len(all)], Action: fromTree(r.Action), Origin: r.Origin}
		}
	}
	if te.Decision != nil {
		e.Decision = decisionFromTree(te.Decision)
	}
	return e
}

// decisionFromTree returns d as a Decision, its shared nodes shared.
func decisionFromTree(d *ruletree.Decision) *Decision {
	// Number the nodes, then make them in one array.
	index := map[*ruletree.Decision]int{}
	var number func(d *ruletree.Decision)
	number = func(d *ruletree.Decision) {
		if _, ok := index[d]; ok {
			return
		}
		index[d] = len(index)
		if !d.Leaf {
			number(d.True)
			number(d.False)
		}
	}
	number(d)
	nodes := make([]Decision, len(index))
	for d, i := range index {
		n := &nodes[i]
		n.Leaf, n.Action, n.Origin = d.Leaf, fromTree(d.Action), d.Origin
		if d.Leaf {
			if d.Origin == ruletree.DecidedByDefault {
				n.Origin = DecidedByDefault
			}
			continue
		}
		n.Word = d.Word
		n.Op, n.Mask, n.Datum = Op(d.Op), d.Mask, d.Datum
		n.True, n.False = &nodes[index[d.True]], &nodes[index[d.False]]
	}
	return &nodes[0]
}

// ruleList names profile rules by their indexes, sorted, as
// "rules 1, 4, 7" (1-based, at most ten).
func ruleList(idx []int) string {
	var b strings.Builder
	b.WriteString("rule")
	if len(idx) > 1 {
		b.WriteString("s")
	}
	for k, i := range idx {
		if k == 10 {
			fmt.Fprintf(&b, " and %d more", len(idx)-k)
			break
		}
		if k > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %d", i+1)
	}
	return b.String()
}
