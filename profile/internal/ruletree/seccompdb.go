package ruletree

// This file models libseccomp's per-system-call rule database (src/db.c,
// v2.5.4 to v2.6.1): the argument chains _db_rule_gen_64 and
// _db_rule_gen_32 build, the way db_rule_add merges a new rule into the
// existing ones (_db_tree_prune, _db_tree_add, with their reference counts
// and level links), and the evaluation order of the BPF that
// _gen_bpf_chain emits for the result. It is a port of that logic, not of
// the code: no code is shared. DB.Eval walks the tree it builds; DB.Entry
// lists its paths (flatten.go) and makes its Decision (decision.go).

import "errors"

// ErrExist is libseccomp's -EEXIST from _db_tree_add: two rules whose
// comparisons coincide have different actions.
var ErrExist = errors.New("EEXIST")

// ErrLibseccompLoop reports a rule that libseccomp never finishes adding:
// the links of one level of its rule tree form a cycle, which libseccomp
// walks forever (seen in the differential tests: libseccomp hangs on the
// same profiles). The model notices a level walk longer than the nodes it
// has ever made, stops with this error, and the profile is refused rather
// than compiled.
var ErrLibseccompLoop = errors.New("libseccomp does not finish building this rule (its rule tree loops), so runc would hang on this profile; split or simplify the rules for this system call")

// ErrTooComplex reports argument rules whose processing exceeds syscage's
// work bound: libseccomp's rule database (and its model here) does work
// that grows exponentially with some sets of rules on one system call,
// and so would the flat form of the rules. The bound is far above what
// real profiles need; a profile over it is refused with this error
// instead of taking minutes and gigabytes.
var ErrTooComplex = errors.New("too complex")

// MaxSteps bounds the work of the rule-database model for one ABI of a
// profile (every system call together), in steps of its walks: a few
// seconds. The Docker default profile takes some 10^4 steps; the random
// profiles of the differential tests at most some 10^8.
const MaxSteps = 1 << 29

// workBudget is the work left to the databases of one Set.
type workBudget struct{ left int }

// lsRule is one rule as handed to libseccomp's seccomp_rule_add: at most
// one condition per argument (runc guarantees it).
type lsRule struct {
	action Action
	origin int // handed back with the action
	conds  [MaxArg + 1]lsArg
}

type lsArg struct {
	valid bool
	op    Op
	mask  uint64 // DATUM_MAX unless OpMaskedEQ
	datum uint64
}

func newLSRule(a Action, origin int, conds []Cond) lsRule {
	r := lsRule{action: a, origin: origin}
	for _, c := range conds {
		x := lsArg{valid: true, op: c.Op, mask: ^uint64(0), datum: c.Value}
		if c.Op == OpMaskedEQ {
			x.mask, x.datum = c.Value, c.ValueTwo
		}
		r.conds[c.Arg] = x
	}
	return r
}

// node is one 32-bit comparison of the tree (struct db_arg_chain_tree).
type node struct {
	arg          uint8
	hi           bool // arg_h_flg
	op, opOrig   Op
	mask, datum  uint32
	full         uint64 // datum_full
	hasT, hasF   bool
	actT, actF   Action
	origT, origF int
	nxtT, nxtF   *node
	prv, nxt     *node  // lvl_prv, lvl_nxt
	refcnt       uint32 // unsigned, as libseccomp's, which matters when it wraps
	mark         uint32 // the walk of DB.mark that last saw the node's level
}

func get(n *node) *node {
	if n != nil {
		n.refcnt++
	}
	return n
}

// DB is the rule database of one system call of one ABI (struct
// db_sys_list): no rule yet, an unconditional action, or a tree of
// argument comparisons. The zero DB is empty, with a bound on its work of
// its own.
type DB struct {
	exists bool
	chains *node
	action Action
	origin int
	// nodes counts the nodes ever made for this database: a walk along a
	// level that is longer is going round a cycle.
	nodes int
	// work is shared by the databases of one Set; nil: a budget of
	// this database's own.
	work *workBudget
	mark uint32 // the current walk, see node.mark
	// gen counts the changes to the tree (nodes freed or unlinked);
	// pruneMemo holds the no-op treePrune calls of the current add.
	gen       uint64
	pruneMemo map[pruneKey]pruneResult
}

func (s *DB) step() error {
	if s.work == nil {
		s.work = &workBudget{left: MaxSteps}
	}
	s.work.left--
	if s.work.left < 0 {
		return ErrTooComplex
	}
	return nil
}

// walked checks the length i of a walk along one level.
func (s *DB) walked(i int) error {
	if i > 2*s.nodes+2 {
		return ErrLibseccompLoop
	}
	return nil
}

func argPriority(n *node) int {
	p := int(n.arg) << 1
	if n.hi {
		p++
	}
	return p
}

func opPriority(o Op) int {
	switch o {
	case OpMaskedEQ, OpEQ, OpNE:
		return 3
	case OpLE, OpLT:
		return 2
	case OpGE, OpGT:
		return 1
	}
	return 0
}

// chainLT is _db_chain_lt.
func chainLT(a, b *node) bool {
	if pa, pb := argPriority(a), argPriority(b); pa != pb {
		return pa < pb
	}
	if pa, pb := opPriority(a.opOrig), opPriority(b.opOrig); pa != pb {
		return pa < pb
	}
	switch a.opOrig {
	case OpLE, OpLT:
		return a.datum > b.datum
	default:
		return a.datum < b.datum
	}
}

// chainEQ is _db_chain_eq.
func chainEQ(a, b *node) bool {
	return argPriority(a) == argPriority(b) && a.op == b.op && a.datum == b.datum && a.mask == b.mask
}

func leaf(n *node) bool   { return n.nxtT == nil && n.nxtF == nil }
func zombie(n *node) bool { return leaf(n) && !n.hasT && !n.hasF }

// nodePut is _db_node_put. It returns the number of nodes freed.
func (s *DB) nodePut(p **node) (int, error) {
	n := *p
	if n == nil {
		return 0, nil
	}
	if err := s.step(); err != nil {
		return 0, err
	}
	n.refcnt--
	if n.refcnt != 0 {
		return 0, nil
	}
	s.gen++
	cnt := 0
	lp, ln, nt, nf := n.prv, n.nxt, n.nxtT, n.nxtF
	if lp != nil {
		lp.nxt = nil
	}
	if ln != nil {
		ln.prv = nil
	}
	for _, q := range []**node{&lp, &ln} {
		if *q != nil {
			k, err := s.nodePut(q)
			if err != nil {
				return 0, err
			}
			cnt += k
		}
	}
	if lp != nil {
		lp.nxt = get(ln)
	}
	if ln != nil {
		ln.prv = get(lp)
	}
	switch {
	case lp != nil:
		*p = lp
	case ln != nil:
		*p = ln
	default:
		*p = nil
	}
	for _, q := range []**node{&nt, &nf} {
		k, err := s.treePut(q)
		if err != nil {
			return 0, err
		}
		cnt += k
	}
	return cnt + 1, nil
}

// treePut is _db_tree_put.
func (s *DB) treePut(p **node) (int, error) {
	cnt, err := s.nodePut(p)
	if err != nil || *p == nil {
		return cnt, err
	}
	k, err := s.levelClean(*p)
	return cnt + k, err
}

// levelClean is _db_level_clean.
func (s *DB) levelClean(n *node) (int, error) {
	// Walking a level further than there are nodes means its links form
	// a cycle, the state in which libseccomp itself loops forever.
	for i := 0; n.prv != nil; i++ {
		if err := s.walked(i); err != nil {
			return 0, err
		}
		n = n.prv
	}
	start := n
	for i := 0; n != nil; n, i = n.nxt, i+1 {
		if err := s.walked(i); err != nil {
			return 0, err
		}
		links := 0
		if n.prv != nil {
			links++
		}
		if n.nxt != nil {
			links++
		}
		if n.refcnt > uint32(links) {
			return 0, nil
		}
	}
	cnt := 0
	for n = start; n != nil; {
		if n.refcnt != 1 {
			// libseccomp puts n again and again until it is freed (2^32
			// times when the count wrapped at 0): the same end, at once.
			n.refcnt = 1
		}
		k, err := s.nodePut(&n)
		if err != nil {
			return 0, err
		}
		cnt += k
	}
	return cnt, nil
}

// treeRemove is _db_tree_remove.
func (s *DB) treeRemove(tree **node, target *node) (int, error) {
	if tree == nil || *tree == nil || target == nil {
		return 0, nil
	}
	cnt := 0
	c := *tree
	for i := 0; c.prv != nil; i++ {
		if err := s.walked(i); err != nil {
			return 0, err
		}
		c = c.prv
	}
	for i := 0; ; i++ {
		if err := s.walked(i); err != nil {
			return 0, err
		}
		if err := s.step(); err != nil {
			return 0, err
		}
		if c == target {
			break
		}
		for _, q := range []**node{&c.nxtT, &c.nxtF} {
			k, err := s.treeRemove(q, target)
			if err != nil {
				return 0, err
			}
			cnt += k
		}
		if zombie(c) {
			break
		}
		c = c.nxt
		if c == nil || cnt != 0 {
			return cnt, nil
		}
	}
	if c == *tree {
		if c.prv != nil {
			*tree = c.prv
		} else {
			*tree = c.nxt
		}
	}
	if c.prv != nil {
		c.prv.nxt = c.nxt
	}
	if c.nxt != nil {
		c.nxt.prv = c.prv
	}
	c.prv, c.nxt = nil, nil
	s.gen++
	k, err := s.nodePut(&c)
	return cnt + k, err
}

// actCheck is _db_tree_act_check: whether every action in the tree is a.
// libseccomp walks the tree as if no level were shared; each level is
// checked once here, with the same answer.
func (s *DB) actCheck(tree *node, a Action) (bool, error) {
	s.mark++
	return s.actCheckLevel(tree, a)
}

func (s *DB) actCheckLevel(tree *node, a Action) (bool, error) {
	if tree == nil {
		return true, nil
	}
	c := tree
	for i := 0; c.prv != nil; i++ {
		if err := s.walked(i); err != nil {
			return false, err
		}
		c = c.prv
	}
	if c.mark == s.mark {
		return true, nil // checked in this walk, and found all a
	}
	c.mark = s.mark
	for i := 0; c != nil; c, i = c.nxt, i+1 {
		if err := s.walked(i); err != nil {
			return false, err
		}
		if err := s.step(); err != nil {
			return false, err
		}
		if c.hasT && c.actT != a || c.hasF && c.actF != a {
			return false, nil
		}
		for _, next := range [2]*node{c.nxtT, c.nxtF} {
			if ok, err := s.actCheckLevel(next, a); !ok || err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// Iteration state of _db_tree_prune (struct db_iter_state).
const (
	istMatch     = 0x001
	istMatchOnce = 0x002
	istXFinished = 0x010
	istNFinished = 0x020
	istXPrefix   = 0x100
	istNPrefix   = 0x200
	istMatchSet  = istMatch | istMatchOnce
	istRedundant = istMatch | istXFinished | istNPrefix
)

type iterState struct {
	flags  int
	action Action
}

// treePrune is _db_tree_prune. It returns the number of nodes removed,
// which only matters as zero or not.
//
// libseccomp explores the same pair of levels again and again, on every
// path of both trees that leads to them, which is where its work grows
// exponentially. Most of these calls change nothing (every reference
// they take they give back, and nothing is freed or unlinked): what such
// a call does to the iteration state depends only on the pair, the state
// it starts from and the tree, so it is remembered until the tree next
// changes (DB.gen) and not explored again.
func (s *DB) treePrune(existing **node, n *node, state *iterState) (int, error) {
	if n == nil || *existing == nil {
		return s.treePruneWalk(existing, n, state)
	}
	x := *existing
	for i := 0; x.prv != nil; i++ {
		if err := s.walked(i); err != nil {
			return 0, err
		}
		x = x.prv
	}
	k := pruneKey{x, n, state.flags}
	if r, ok := s.pruneMemo[k]; ok && r.gen == s.gen {
		state.flags = r.flags
		return 0, nil
	}
	gen := s.gen
	cnt, err := s.treePruneWalk(existing, n, state)
	if err == nil && cnt == 0 && s.gen == gen {
		if s.pruneMemo == nil {
			s.pruneMemo = map[pruneKey]pruneResult{}
		}
		s.pruneMemo[k] = pruneResult{gen, state.flags}
	}
	return cnt, err
}

type pruneKey struct {
	x, n  *node // the first node of the existing level, the new node
	flags int
}

type pruneResult struct {
	gen   uint64
	flags int
}

// treePruneWalk is the body of _db_tree_prune.
func (s *DB) treePruneWalk(existing **node, n *node, state *iterState) (int, error) {
	cnt := 0
	stateNew := *state
	x := *existing
	if n == nil || x == nil {
		goto ret
	}
	if state.flags&istMatchSet == istMatchOnce {
		goto ret
	}
	for i := 0; x.prv != nil; i++ {
		if err := s.walked(i); err != nil {
			return 0, err
		}
		x = x.prv
	}
walk:
	for i := 0; x != nil; i++ {
		if err := s.walked(i); err != nil {
			return 0, err
		}
		if err := s.step(); err != nil {
			return 0, err
		}
		xNext := x.nxt
		if chainEQ(x, n) {
			stateNew.flags |= istMatchSet
			if leaf(n) {
				stateNew.flags |= istNFinished
			}
			if leaf(x) {
				stateNew.flags |= istXFinished
			}
			if (x.hasT || x.nxtT != nil) && !(n.hasT || n.nxtT != nil) {
				goto ret
			}
			if (x.hasF || x.nxtF != nil) && !(n.hasF || n.nxtF != nil) {
				goto ret
			}
			if stateNew.flags&istNFinished != 0 && stateNew.flags&istXFinished != 0 {
				if n.hasT != x.hasT || n.actT != x.actT || n.hasF != x.hasF || n.actF != x.actF {
					goto ret
				}
			}
			for _, br := range [2]bool{true, false} {
				nn, next := n.nxtT, &x.nxtT
				if !br {
					nn, next = n.nxtF, &x.nxtF
				}
				if nn == nil {
					continue
				}
				sn := *state
				sn.flags |= istMatchSet
				k, err := s.pruneHeld(&x, next, nn, &sn)
				if err != nil {
					return 0, err
				}
				cnt += k
				if sn.flags&istMatch != 0 {
					stateNew.flags |= sn.flags
				}
				if x == nil {
					x = xNext
					continue walk
				}
			}
			ok, err := s.actCheck(x, stateNew.action)
			if err != nil {
				return 0, err
			}
			if ok && stateNew.flags&istMatch != 0 && stateNew.flags&istNFinished != 0 && stateNew.flags&istXPrefix != 0 {
				k, err := s.treeRemove(&s.chains, x)
				if err != nil {
					return 0, err
				}
				cnt += k
				if s.chains == nil {
					goto ret
				}
			} else if ok && stateNew.flags&istMatch != 0 && stateNew.flags&istXFinished != 0 && stateNew.flags&istNPrefix != 0 {
				goto ret
			}
		} else if chainLT(x, n) {
			if state.flags&istNPrefix != 0 {
				goto ret
			}
			for _, br := range [2]bool{true, false} {
				next := &x.nxtT
				if !br {
					next = &x.nxtF
				}
				if *next == nil {
					continue
				}
				sn := *state
				sn.flags &^= istMatch
				sn.flags |= istXPrefix
				k, err := s.pruneHeld(&x, next, n, &sn)
				if err != nil {
					return 0, err
				}
				cnt += k
				if sn.flags&istMatch != 0 {
					stateNew.flags |= sn.flags
					goto ret
				}
				if x == nil {
					break
				}
			}
		} else {
			if state.flags&istXPrefix != 0 {
				goto ret
			}
			for _, br := range [2]bool{true, false} {
				next := n.nxtT
				if !br {
					next = n.nxtF
				}
				if next == nil {
					continue
				}
				sn := *state
				sn.flags &^= istMatch
				sn.flags |= istNPrefix
				k, err := s.pruneHeld(&x, &x, next, &sn)
				if err != nil {
					return 0, err
				}
				cnt += k
				if sn.flags&istMatch != 0 {
					stateNew.flags |= sn.flags
					goto ret
				}
				if x == nil {
					break
				}
			}
		}
		x = xNext
	}
	stateNew.flags &^= istMatch
ret:
	if stateNew.flags&istMatch != 0 {
		state.flags |= stateNew.flags
	} else {
		state.flags &^= istMatch
	}
	return cnt, nil
}

// pruneHeld is one recursion of _db_tree_prune: with a reference to *x
// held (get), it prunes n from the level at existing in state, then drops
// the reference (node_put, which may free *x and make it nil), and
// returns the nodes both freed.
func (s *DB) pruneHeld(x, existing **node, n *node, state *iterState) (int, error) {
	get(*x)
	k, err := s.treePrune(existing, n, state)
	if err != nil {
		return 0, err
	}
	k2, err := s.nodePut(x)
	if err != nil {
		return 0, err
	}
	return k + k2, nil
}

// treeAdd is _db_tree_add.
func (s *DB) treeAdd(existing **node, n *node) error {
	x := *existing
	for i := 0; x != nil; i++ {
		if err := s.walked(i); err != nil {
			return err
		}
		if err := s.step(); err != nil {
			return err
		}
		if chainEQ(x, n) {
			if n.hasT {
				if !x.hasT {
					if ok, err := s.actCheck(x.nxtT, n.actT); err != nil {
						return err
					} else if !ok {
						return ErrExist
					}
					if _, err := s.nodePut(&x.nxtT); err != nil {
						return err
					}
					x.nxtT = nil
					x.actT, x.origT, x.hasT = n.actT, n.origT, true
				} else if n.actT != x.actT {
					if n.hi && n.full > x.full {
						x.actT, x.origT = n.actT, n.origT
					}
					if leaf(x) || leaf(n) {
						return ErrExist
					}
				}
			}
			if n.hasF {
				if !x.hasF {
					if ok, err := s.actCheck(x.nxtF, n.actF); err != nil {
						return err
					} else if !ok {
						return ErrExist
					}
					if _, err := s.nodePut(&x.nxtF); err != nil {
						return err
					}
					x.nxtF = nil
					x.actF, x.origF, x.hasF = n.actF, n.origF, true
				} else if n.actF != x.actF {
					// Up to v2.6.0 libseccomp assigns act_t here (from a
					// node whose act_t is usually unset), which leaves
					// act_f alone; v2.6.1 assigns act_f. This follows the
					// releases runc and the distributions ship (v2.5.x).
					if n.hi && n.full < x.full {
						x.actT, x.origT = n.actT, n.origT
					}
					if leaf(x) || leaf(n) {
						return ErrExist
					}
				}
			}
			for _, br := range [2]bool{true, false} {
				nn, next, has := n.nxtT, &x.nxtT, x.hasT
				if !br {
					nn, next, has = n.nxtF, &x.nxtF, x.hasF
				}
				if nn == nil {
					continue
				}
				switch {
				case *next != nil:
					if err := s.treeAdd(next, nn); err != nil {
						return err
					}
				case !has:
					*next = get(nn)
				default:
					return nil
				}
			}
			return nil
		} else if !chainLT(x, n) {
			if x.nxt == nil {
				n.prv = get(x)
				x.nxt = get(n)
				return nil
			}
			x = x.nxt
		} else {
			if x.prv != nil {
				x.prv.nxt = get(n)
				n.prv = x.prv
				x.prv = get(n)
				n.nxt = x
			} else {
				x.prv = get(n)
				n.nxt = get(x)
			}
			if *existing == x {
				*existing = get(n)
				if _, err := s.nodePut(&x); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return nil
}

// gen builds the chain of a new rule for a 64-bit or 32-bit ABI
// (_db_rule_gen_64, _db_rule_gen_32). It returns the chain, or nil and
// the rule's action when every condition is a no-op.
func gen(r lsRule, wide bool) *node {
	if wide {
		return gen64(r)
	}
	return gen32(r)
}

func needLo(c lsArg) bool { return !(c.op == OpMaskedEQ && uint32(c.mask) == 0) }
func needHi(c lsArg) bool { return !(c.op == OpMaskedEQ && uint32(c.mask>>32) == 0) }

func gen64(r lsRule) *node {
	var chains *node
	var cur, prev [3]*node
	var opPrev Op
	for i := 0; i <= MaxArg; i++ {
		c := r.conds[i]
		if !c.valid || !needHi(c) && !needLo(c) {
			continue
		}
		cur = [3]*node{{}, {}, nil}
		mk := func(n *node, hi bool) {
			n.arg, n.hi, n.opOrig, n.full = uint8(i), hi, c.op, c.datum
			if hi {
				n.mask, n.datum = uint32(c.mask>>32), uint32(c.datum>>32)
			} else {
				n.mask, n.datum = uint32(c.mask), uint32(c.datum)
			}
			n.datum &= n.mask
		}
		switch c.op {
		case OpGT, OpGE, OpLE, OpLT:
			cur[2] = &node{}
			mk(cur[0], true)
			mk(cur[1], true)
			mk(cur[2], false)
			cur[0].op, cur[1].op = OpGT, OpEQ
			if c.op == OpGT || c.op == OpLE {
				cur[2].op = OpGT
			} else {
				cur[2].op = OpGE
			}
			cur[0].nxtF = get(cur[1])
			cur[1].nxtT = get(cur[2])
		default: // EQ, MASKED_EQ, NE
			mk(cur[0], true)
			mk(cur[1], false)
			if c.op == OpMaskedEQ {
				cur[0].op, cur[1].op = OpMaskedEQ, OpMaskedEQ
			} else {
				cur[0].op, cur[1].op = OpEQ, OpEQ
			}
			cur[0].nxtT = get(cur[1])
		}
		if prev[0] != nil {
			switch opPrev {
			case OpGT, OpGE:
				prev[0].nxtT = get(cur[0])
				prev[2].nxtT = get(cur[0])
			case OpEQ, OpMaskedEQ:
				prev[1].nxtT = get(cur[0])
			case OpLE, OpLT:
				prev[1].nxtF = get(cur[0])
				prev[2].nxtF = get(cur[0])
			case OpNE:
				prev[0].nxtF = get(cur[0])
				prev[1].nxtF = get(cur[0])
			}
		} else {
			chains = get(cur[0])
		}
		prev, opPrev = cur, c.op
	}
	if cur[0] == nil {
		return nil
	}
	setT := func(n *node) { n.hasT, n.actT, n.origT = true, r.action, r.origin }
	setF := func(n *node) { n.hasF, n.actF, n.origF = true, r.action, r.origin }
	switch opPrev {
	case OpGT, OpGE:
		setT(cur[0])
		setT(cur[2])
	case OpLE, OpLT:
		setF(cur[1])
		setF(cur[2])
	case OpEQ, OpMaskedEQ:
		setT(cur[1])
	case OpNE:
		setF(cur[0])
		setF(cur[1])
	}
	return chains
}

func gen32(r lsRule) *node {
	var chains, cur, prev *node
	tf := false
	for i := 0; i <= MaxArg; i++ {
		c := r.conds[i]
		if !c.valid || !needLo(c) {
			continue
		}
		cur = &node{arg: uint8(i), op: c.op, opOrig: c.op, mask: uint32(c.mask), datum: uint32(c.datum), full: c.datum}
		if prev != nil {
			if tf {
				prev.nxtT = get(cur)
			} else {
				prev.nxtF = get(cur)
			}
		} else {
			chains = get(cur)
		}
		switch cur.op {
		case OpNE:
			cur.op, tf = OpEQ, false
		case OpLT:
			cur.op, tf = OpGE, false
		case OpLE:
			cur.op, tf = OpGT, false
		default:
			tf = true
		}
		cur.datum &= cur.mask
		prev = cur
	}
	if cur == nil {
		return nil
	}
	if tf {
		cur.hasT, cur.actT, cur.origT = true, r.action, r.origin
	} else {
		cur.hasF, cur.actF, cur.origF = true, r.action, r.origin
	}
	return chains
}

// ruleAdd is the system-call part of db_rule_add. An error means libseccomp
// refuses the rule (and runc the profile).
func (s *DB) ruleAdd(r lsRule, wide bool) error {
	clear(s.pruneMemo) // its results hold for one action
	chains := gen(r, wide)
	s.nodes += 3 * (MaxArg + 1) // at most, see gen64 and gen32
	rm := false
	for {
		switch {
		case !s.exists:
			s.exists, s.chains, s.action, s.origin = true, chains, r.action, r.origin
			return nil
		case s.chains == nil:
			if rm {
				s.chains, s.action, s.origin = chains, r.action, r.origin
				return nil
			}
			// An unconditional rule is already there: it stays.
			_, err := s.treePut(&chains)
			return err
		case chains == nil:
			if _, err := s.treePut(&s.chains); err != nil {
				return err
			}
			s.chains, s.action, s.origin = nil, r.action, r.origin
			return nil
		}
		state := iterState{action: r.action}
		k, err := s.treePrune(&s.chains, chains, &state)
		if err != nil {
			return err
		}
		if k > 0 {
			rm = true
			if s.chains == nil {
				continue
			}
		} else if state.flags&istRedundant == istRedundant {
			_, err := s.treePut(&chains)
			return err
		}
		if err := s.treeAdd(&s.chains, chains); err != nil {
			return err
		}
		_, err = s.treePut(&chains)
		return err
	}
}

// word returns the 32 bits of v a node compares.
func (n *node) word(v uint64) uint32 {
	if n.hi {
		return uint32(v >> 32)
	}
	return uint32(v)
}

// test is the comparison of a node as _gen_bpf_node emits it.
func (n *node) test(args *[6]uint64) bool {
	w := n.word(args[n.arg]) & n.mask
	switch n.op {
	case OpEQ, OpMaskedEQ:
		return w == n.datum
	case OpGT:
		return w > n.datum
	case OpGE:
		return w >= n.datum
	}
	panic("ruletree: node with operator " + n.op.String())
}

func first(n *node) *node {
	for n.prv != nil {
		n = n.prv
	}
	return n
}

// Check walks every level of the tree once, as libseccomp's BPF generator
// does (_gen_bpf_chain), and returns ErrLibseccompLoop when the links of
// one form a cycle, on which libseccomp would hang. Eval and Entry need a
// DB that passed it.
func (s *DB) Check() error {
	s.mark++
	var walk func(n *node) error
	walk = func(n *node) error {
		if n == nil {
			return nil
		}
		for i := 0; n.prv != nil; i++ {
			if err := s.walked(i); err != nil {
				return err
			}
			n = n.prv
		}
		if n.mark == s.mark {
			return nil
		}
		n.mark = s.mark
		for i := 0; n != nil; n, i = n.nxt, i+1 {
			if err := s.walked(i); err != nil {
				return err
			}
			if err := walk(n.nxtT); err != nil {
				return err
			}
			if err := walk(n.nxtF); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(s.chains)
}

// evalResult is what eval found for one level.
type evalResult struct {
	act  Action
	orig int
	ok   bool
}

// eval runs the BPF that _gen_bpf_chain generates for the level holding n:
// each node in level order; a branch with a next level runs that level,
// falling through to the next node of this level when nothing in it
// matches; a branch with neither falls through at once. The tree must
// have passed Check. What a level decides depends on the level and
// the arguments only, so each level is run once (memo, made when nil).
func eval(n *node, args *[6]uint64, memo map[*node]evalResult) (Action, int, bool) {
	n = first(n)
	if r, ok := memo[n]; ok {
		return r.act, r.orig, r.ok
	}
	start := n
	r := evalResult{}
	for ; n != nil; n = n.nxt {
		t := n.test(args)
		next, has, act, orig := n.nxtF, n.hasF, n.actF, n.origF
		if t {
			next, has, act, orig = n.nxtT, n.hasT, n.actT, n.origT
		}
		if next != nil {
			if a, o, ok := eval(next, args, memo); ok {
				r = evalResult{a, o, true}
				break
			}
			continue
		}
		if has {
			r = evalResult{act, orig, true}
			break
		}
	}
	memo[start] = r
	return r.act, r.orig, r.ok
}
