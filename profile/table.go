package profile

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/syscage/syscage/arch"
)

// TableOptions control Table.
type TableOptions struct {
	// Strict makes a name the ABI does not have an error
	// (ErrUnknownSyscall) instead of a warning in Table.Unknown.
	Strict bool
	// Decisions fills Entry.Decision of every conditional entry, and
	// leaves Entry.Rules nil where the rules of a system call are too
	// complex to list as CondRules (without it, Table then fails with
	// ErrTooComplex). Compiling needs only the Decision.
	Decisions bool
}

// Table is the meaning of a profile on one ABI: for each system-call
// number a rule names, what decides it. Numbers without an entry get
// Default.
type Table struct {
	Arch     arch.Arch
	Default  Action
	Syscalls []Entry  // sorted by Nr, one per number
	Unknown  []string // names skipped because Arch does not have them, sorted
}

// Entry is what decides one system call.
type Entry struct {
	Nr   uint32
	Name string
	// Action is the action when the entry is not conditional: Rules is
	// empty and Decision nil.
	Action Action
	// Rules are tried in order; the first whose conditions all hold
	// decides, and Fallback applies when none does.
	Rules    []CondRule
	Fallback Action
	// Decision decides the entry from the arguments when it is
	// conditional and TableOptions.Decisions was set (else nil). It
	// agrees with Rules; with Decisions, Rules may be nil where they are
	// too complex to list.
	Decision *Decision
}

// Conditional reports whether the arguments decide e.
func (e *Entry) Conditional() bool { return len(e.Rules) > 0 || e.Decision != nil }

// CondRule is a conjunction of argument conditions and its action. On
// 32-bit ABIs the conditions are already reduced to the low 32 bits and
// apply to the low 32 bits of the arguments.
type CondRule struct {
	Conds  []Cond // ANDed; several may test one argument
	Action Action
	Origin int // index of the profile rule it comes from
}

// Has reports whether some rule names system call nr.
func (t *Table) Has(nr uint32) bool {
	_, ok := t.Lookup(nr)
	return ok
}

// Lookup returns the entry of system call nr.
func (t *Table) Lookup(nr uint32) (Entry, bool) {
	i := sort.Search(len(t.Syscalls), func(i int) bool { return t.Syscalls[i].Nr >= nr })
	if i < len(t.Syscalls) && t.Syscalls[i].Nr == nr {
		return t.Syscalls[i], true
	}
	return Entry{}, false
}

// Decide returns the action of the entry for args: the first rule whose
// conditions hold, or Fallback.
func (e *Entry) Decide(a arch.Arch, args [6]uint64) Action {
	if e.Decision != nil {
		return e.Decision.Decide(args)
	}
	if len(e.Rules) == 0 {
		return e.Action
	}
	for _, r := range e.Rules {
		ok := true
		for _, c := range r.Conds {
			v := args[c.Arg]
			if a.Bits() == 32 {
				v &= 0xffffffff
			}
			if !c.Match(v) {
				ok = false
				break
			}
		}
		if ok {
			return r.Action
		}
	}
	return e.Fallback
}

// Table returns the meaning of p on ABI a, the way runc and libseccomp
// build the filter (see the package documentation). p must not have
// conditional parts (see Resolve). The error wraps ErrInvalid when
// libseccomp would refuse a rule, and ErrUnknownSyscall when o.Strict and
// a name does not exist on a.
func (p *Profile) Table(a arch.Arch, o TableOptions) (*Table, error) {
	if !validArch(a) {
		return nil, fmt.Errorf("%w: invalid architecture %d", ErrInvalid, a)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Conditional() {
		return nil, fmt.Errorf("%w: the profile has includes, excludes or archMap; resolve it first", ErrInvalid)
	}
	t := &Table{Arch: a, Default: p.Default}
	wide := a.Bits() == 64
	dbs := newDBSet(a, p.Rules)
	var phantoms map[string]*sysDB
	var unknown []string
	_, sockABI := a.Socketcall()
	_, ipcABI := a.IPC()
	muxABI := sockABI || ipcABI
	for i, r := range p.Rules {
		// runc skips rules with the default action before libseccomp
		// would refuse them.
		if r.Action == p.Default {
			continue
		}
		groups := runcGroups(r.Conds)
		for _, name := range r.Names {
			direct, okD := a.SyscallNumber(name)
			mux, okM := a.Multiplexed(name)
			if !okD && !okM {
				unknown = append(unknown, name)
				// libseccomp knows the name from another ABI: on ABIs
				// without a multiplexer it still merges the rule into the
				// tree of a pseudo-syscall number (arch_filter_rule_add),
				// which is never emitted but can refuse the rule.
				if !muxABI && knownNames()[name] {
					db := phantoms[name]
					if db == nil {
						if phantoms == nil {
							phantoms = make(map[string]*sysDB)
						}
						db = dbs.alloc()
						phantoms[name] = db
					}
					for _, g := range groups {
						if err := db.add(newLSRule(r.Action, i, g), wide); err != nil {
							return nil, ruleError(a, i, name, name, err)
						}
					}
				}
				continue
			}
			for _, g := range groups {
				// abi_rule_add: the multiplexed rule, then the direct one.
				if okM {
					if err := dbs.add(mux.Nr, newLSRule(r.Action, i, muxConds(g, mux.Call)), wide); err != nil {
						return nil, ruleError(a, i, name, mux.Syscall, err)
					}
				}
				if okD {
					if err := dbs.add(direct, newLSRule(r.Action, i, g), wide); err != nil {
						return nil, ruleError(a, i, name, name, err)
					}
				}
			}
		}
	}
	slices.Sort(unknown)
	t.Unknown = slices.Compact(unknown)
	if o.Strict && len(t.Unknown) > 0 {
		return nil, fmt.Errorf("%w on %s: %s", ErrUnknownSyscall, a, strings.Join(t.Unknown, ", "))
	}
	t.Syscalls = make([]Entry, 0, dbs.n)
	for nr, db := range dbs.all() {
		e := Entry{Nr: nr, Fallback: p.Default}
		if err := db.checkLevels(); err != nil {
			name, _ := a.SyscallName(nr)
			return nil, fmt.Errorf("table for %s: system call %s: %w", a, name, err)
		}
		if db.chains == nil {
			e.Action = db.action
		} else if err := entryFromTree(&e, db, p.Default, wide, o); err != nil {
			name, _ := a.SyscallName(nr)
			return nil, fmt.Errorf("table for %s: system call %s (%s): %w", a, name, origins(db.chains), err)
		}
		t.Syscalls = append(t.Syscalls, e)
	}
	// Name the entries in one walk over the table: both are sorted.
	if n := len(t.Syscalls); n > 0 {
		i := 0
		for s := range a.SyscallsBetween(t.Syscalls[0].Nr, t.Syscalls[n-1].Nr) {
			for i < n && t.Syscalls[i].Nr < s.Nr {
				i++
			}
			if i < n && t.Syscalls[i].Nr == s.Nr && t.Syscalls[i].Name == "" {
				t.Syscalls[i].Name = s.Name
			}
		}
	}
	return t, nil
}

// entryFromTree fills e from the rule tree of db: its flat rules and, with
// o.Decisions, its Decision.
func entryFromTree(e *Entry, db *sysDB, def Action, wide bool, o TableOptions) error {
	var dec *Decision
	if o.Decisions {
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

// origins names the profile rules whose actions the tree holds, as
// "rules 1, 4, 7" (1-based, at most ten).
func origins(chains *node) string {
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
	idx := slices.Sorted(maps.Keys(rules))
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

// knownNames is the set of system-call names of every ABI: the names
// libseccomp's tables know.
var knownNames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, n := range arch.Names() {
		m[n] = true
	}
	return m
})

// dbSet holds the per-number databases of one ABI: indexed densely over
// the ABI's main range of numbers, in a map beyond it (arm's private
// calls), and allocated in slabs.
type dbSet struct {
	base  uint32
	dense []*sysDB // dense[nr-base]
	other map[uint32]*sysDB
	n     int // databases of real numbers
	slab  []sysDB
	work  *workBudget // shared by all databases
}

func newDBSet(a arch.Arch, rules []Rule) *dbSet {
	base, max := a.MinSyscall(), a.MaxSyscall()
	if max < base {
		max = base
	}
	n := 0
	for _, r := range rules {
		n += len(r.Names)
	}
	size := int(max-base) + 1
	return &dbSet{base: base, dense: make([]*sysDB, size), slab: make([]sysDB, 0, min(n, size)+8), work: &workBudget{left: maxSteps}}
}

func (s *dbSet) add(nr uint32, r lsRule, wide bool) error {
	return s.get(nr).add(r, wide)
}

// get returns the database of nr, made when missing.
func (s *dbSet) get(nr uint32) *sysDB {
	if nr >= s.base && uint64(nr-s.base) < uint64(len(s.dense)) {
		db := s.dense[nr-s.base]
		if db == nil {
			db = s.alloc()
			s.dense[nr-s.base] = db
			s.n++
		}
		return db
	}
	db := s.other[nr]
	if db == nil {
		if s.other == nil {
			s.other = make(map[uint32]*sysDB)
		}
		db = s.alloc()
		s.other[nr] = db
		s.n++
	}
	return db
}

// all yields the databases of real numbers in ascending order.
func (s *dbSet) all() iter.Seq2[uint32, *sysDB] {
	return func(yield func(uint32, *sysDB) bool) {
		for i, db := range s.dense {
			if db != nil && !yield(s.base+uint32(i), db) {
				return
			}
		}
		nrs := slices.Sorted(maps.Keys(s.other))
		for _, nr := range nrs {
			if !yield(nr, s.other[nr]) {
				return
			}
		}
	}
}

func (s *dbSet) alloc() *sysDB {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]sysDB, 0, 128)
	}
	s.slab = append(s.slab, sysDB{work: s.work})
	return &s.slab[len(s.slab)-1]
}

func ruleError(a arch.Arch, i int, name, target string, err error) error {
	via := ""
	if target != name {
		via = " (through " + target + ")"
	}
	if errors.Is(err, errExist) {
		return fmt.Errorf("%w: rule %d for %s%s on %s: libseccomp refuses it (EEXIST): its comparisons coincide with those of an earlier rule with another action", ErrInvalid, i+1, name, via, a)
	}
	if errors.Is(err, ErrTooComplex) {
		return fmt.Errorf("%w: rule %d for %s%s on %s: building libseccomp's rule tree for the argument rules of this system call takes more than %d steps (its work grows exponentially with such rules); split the rules or use fewer argument conditions", err, i+1, name, via, a, maxSteps)
	}
	return fmt.Errorf("rule %d for %s%s on %s: %w", i+1, name, via, a, err)
}

// runcGroups is Conjunctions; a rule without conditions is one group
// with none.
func runcGroups(conds []Cond) [][]Cond { return Conjunctions(conds) }

// muxConds returns the conditions of the multiplexed rule libseccomp's
// abi_rule_add derives: the first argument replaced by EQ call, the other
// conditions kept.
func muxConds(conds []Cond, call uint32) []Cond {
	out := []Cond{{Arg: 0, Op: OpEQ, Value: uint64(call)}}
	for _, c := range conds {
		if c.Arg != 0 {
			out = append(out, c)
		}
	}
	return out
}
