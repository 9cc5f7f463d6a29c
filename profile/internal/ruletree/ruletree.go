package ruletree

import "iter"

// DB is the rule database of one system call (struct db_sys_list): no
// rule yet, an unconditional action, or a tree of argument comparisons.
// The zero DB is empty, with a work bound of its own.
type DB = sysDB

// Add adds one rule as seccomp_rule_add does, for a 64-bit ABI (wide) or
// a 32-bit one: at most one condition per argument (runc's grouping
// guarantees it). origin is handed back with the rule's action. The error
// wraps ErrExist when libseccomp refuses the rule, and may be
// ErrTooComplex or ErrLibseccompLoop.
func (s *sysDB) Add(a Action, origin int, conds []Cond, wide bool) error {
	return s.add(newLSRule(a, origin, conds), wide)
}

// Check walks every level of the tree as libseccomp's BPF generator does,
// and returns ErrLibseccompLoop when the links of one form a cycle, on
// which libseccomp would hang. Eval and Entry need a DB that passed it.
func (s *sysDB) Check() error { return s.checkLevels() }

// Eval returns the action the BPF generated from s gives a system call
// with arguments args (on 32-bit ABIs their low words), and the origin of
// the rule it comes from; ok is false when no rule decides (the filter's
// default applies).
func (s *sysDB) Eval(args *[6]uint64) (a Action, origin int, ok bool) {
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

// Entry returns what decides the system call of s, a database that
// holds a rule, with def the filter's default action: the paths of its
// tree as rules, simplified, and with decisions its Decision too.
// Without decisions, rules too complex to list are an error
// (ErrTooComplex).
func (s *sysDB) Entry(def Action, wide, decisions bool) (Entry, error) {
	var e Entry
	if s.chains == nil {
		e.Action = s.action
		return e, nil
	}
	err := entryFromTree(&e, s, def, wide, decisions)
	return e, err
}

// Origins returns the origins of the actions the tree of s holds,
// sorted.
func (s *sysDB) Origins() []int { return origins(s.chains) }

// Set holds the databases of the system calls of one ABI, which share one
// bound on their work.
type Set = dbSet

// NewSet returns an empty set for an ABI whose main range of system-call
// numbers is base..max (others are kept apart), sized for about n
// databases.
func NewSet(base, max uint32, n int) *Set { return newDBSet(base, max, n) }

// Add adds a rule to the database of system call nr (see DB.Add).
func (s *dbSet) Add(nr uint32, a Action, origin int, conds []Cond, wide bool) error {
	return s.get(nr).Add(a, origin, conds, wide)
}

// Other returns a new database outside the numbering, which shares the
// set's bound on work: the pseudo-syscall under which libseccomp files a
// rule for a name the ABI does not have (arch_filter_rule_add).
func (s *dbSet) Other() *DB { return s.alloc() }

// All yields the databases of system-call numbers in ascending order.
func (s *dbSet) All() iter.Seq2[uint32, *DB] { return s.all() }

// Len returns the number of databases of system-call numbers.
func (s *dbSet) Len() int { return s.n }

// ErrExist is libseccomp's -EEXIST from _db_tree_add: two rules whose
// comparisons coincide have different actions.
var ErrExist = errExist

// MaxSteps bounds the work of the databases of one Set, or of one DB
// alone, in steps of their walks.
const MaxSteps = maxSteps

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
