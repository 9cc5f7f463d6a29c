package profile

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile/internal/ruletree"
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

// Decision is the argument check of one system call as a decision
// diagram: each node compares one 32-bit word of one argument (Word, Op
// of OpEQ, OpGT or OpGE, Mask, Datum) and goes on to True or False,
// until a leaf gives the Action and its Origin (the profile rule, or
// DecidedByDefault). It is what the BPF that libseccomp generates from
// its rule tree computes, with shared subtrees kept shared: its size
// grows with the rules, not with the paths through them, so rules that
// would flatten into millions of CondRules (many NE conditions, say)
// still make a small diagram. Decide runs it on arguments (on 32-bit
// ABIs their low words are compared); Size counts its test nodes.
//
// Nodes are unique: two nodes with the same test and the same successors
// are one node, and no node has two equal successors.
type Decision = ruletree.Node[Action, Op]

// Word names a 32-bit half of an argument. On 32-bit ABIs only the low
// word exists.
type Word = ruletree.Word

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
	n := 0
	for _, r := range p.Rules {
		n += len(r.Names)
	}
	dbs := ruletree.NewSet(a.MinSyscall(), a.MaxSyscall(), n)
	def := treeAction(p.Default)
	var phantoms map[string]*ruletree.DB
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
		act := treeAction(r.Action)
		groups := treeGroups(r.Conds)
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
							phantoms = make(map[string]*ruletree.DB)
						}
						db = dbs.Other()
						phantoms[name] = db
					}
					for _, g := range groups {
						if err := db.Add(act, i, g, wide); err != nil {
							return nil, ruleError(a, i, name, name, err)
						}
					}
				}
				continue
			}
			for _, g := range groups {
				// abi_rule_add: the multiplexed rule, then the direct one.
				if okM {
					if err := dbs.Add(mux.Nr, act, i, ruletree.MuxConds(g, mux.Call), wide); err != nil {
						return nil, ruleError(a, i, name, mux.Syscall, err)
					}
				}
				if okD {
					if err := dbs.Add(direct, act, i, g, wide); err != nil {
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
	t.Syscalls = make([]Entry, 0, dbs.Len())
	for nr, db := range dbs.All() {
		if err := db.Check(); err != nil {
			name, _ := a.SyscallName(nr)
			return nil, fmt.Errorf("table for %s: system call %s: %w", a, name, err)
		}
		te, err := db.Entry(def, wide, o.Decisions)
		if err != nil {
			name, _ := a.SyscallName(nr)
			return nil, fmt.Errorf("table for %s: system call %s (%s): %w", a, name, ruleList(db.Origins()), err)
		}
		t.Syscalls = append(t.Syscalls, entryFromTree(nr, p.Default, te))
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

// knownNames is the set of system-call names of every ABI: the names
// libseccomp's tables know.
var knownNames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, n := range arch.Names() {
		m[n] = true
	}
	return m
})

func ruleError(a arch.Arch, i int, name, target string, err error) error {
	via := ""
	if target != name {
		via = " (through " + target + ")"
	}
	if errors.Is(err, ruletree.ErrExist) {
		return fmt.Errorf("%w: rule %d for %s%s on %s: libseccomp refuses it (EEXIST): its comparisons coincide with those of an earlier rule with another action", ErrInvalid, i+1, name, via, a)
	}
	if errors.Is(err, ErrTooComplex) {
		return fmt.Errorf("%w: rule %d for %s%s on %s: building libseccomp's rule tree for the argument rules of this system call takes more than %d steps (its work grows exponentially with such rules); split the rules or use fewer argument conditions", err, i+1, name, via, a, ruletree.MaxSteps)
	}
	return fmt.Errorf("rule %d for %s%s on %s: %w", i+1, name, via, a, err)
}
