package profile

import (
	"fmt"
	"maps"
	"slices"

	"github.com/syscage/syscage/arch"
)

// Merge returns the union of profiles, for filters built for the native
// ABI native: on every ABI one of them covers (the union of their
// architectures), for every system call and every argument, the merged
// profile lets the call run (ALLOW or LOG) exactly when one of the
// profiles that cover the ABI does, and never otherwise. ps must be
// resolved (see Resolve).
//
// The action the merged profile gives is chosen among the inputs': where
// some input lets the call run, the stricter of theirs (LOG before
// ALLOW); where none does, the strictest of what they give (see
// Stricter: KILL_PROCESS first; of two ERRNO or TRACE actions, the one of
// the earlier profile). A call no rule of any input names gets the
// default action, chosen the same way among the inputs' defaults.
//
// The rules are built per system call from what the inputs decide
// (their rule trees as libseccomp builds them, see Table), so that rules
// with different actions never overlap: a name whose inputs give one
// action for any arguments gets one unconditional rule, and a name whose
// arguments matter gets rules over the classes of argument values the
// inputs' conditions tell apart, with single comparisons where they can
// express a class and SCMP_CMP_MASKED_EQ blocks where they cannot. The
// result is then checked exactly against the inputs on every ABI and
// every system call they name.
//
// Merge fails with an error wrapping ErrNotExpressible when no profile
// can hold the union exactly: when one name must mean different things
// on two ABIs (an input that does not cover an ABI another covers, or
// 64-bit conditions that read otherwise on a 32-bit ABI), when a default
// would allow on one ABI what another must deny, or when the rules for
// one system call grow too many.
func Merge(native arch.Arch, ps ...*Profile) (*Profile, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: nothing to merge", ErrInvalid)
	}
	for i, p := range ps {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("profile %d: %w", i+1, err)
		}
		if p.Conditional() {
			return nil, fmt.Errorf("%w: profile %d has includes, excludes or archMap; resolve it first", ErrInvalid, i+1)
		}
	}
	out := &Profile{}
	var defaults []Action
	for _, p := range ps {
		defaults = append(defaults, p.Default)
		for _, a := range p.Arches {
			if !slices.Contains(out.Arches, a) {
				out.Arches = append(out.Arches, a)
			}
		}
		for _, f := range p.Flags {
			if !slices.Contains(out.Flags, f) {
				out.Flags = append(out.Flags, f)
			}
		}
		if out.ListenerPath == "" {
			out.ListenerPath, out.ListenerMetadata = p.ListenerPath, p.ListenerMetadata
		}
	}
	out.Default = combine(defaults)
	if len(out.Arches) > 0 && native != arch.Invalid && !slices.Contains(out.Arches, native) {
		// An empty list meant the native ABI; keep it covered.
		for _, p := range ps {
			if len(p.Arches) == 0 {
				out.Arches = slices.Insert(out.Arches, 0, native)
				break
			}
		}
	}
	m, err := newMerger(native, out, ps)
	if err != nil {
		return nil, err
	}
	return m.run()
}

// combine is the action of the merge where the inputs give acts.
func combine(acts []Action) Action {
	var best Action
	found := false
	for _, a := range acts {
		if a.Permits() {
			if !found {
				best, found = a, true
			} else {
				best = Stricter(best, a)
			}
		}
	}
	if found {
		return best
	}
	best = acts[0]
	for _, a := range acts[1:] {
		best = Stricter(best, a)
	}
	return best
}

// maxMergeRules bounds the rules Merge writes for one system call.
const maxMergeRules = 64

type abiNr struct {
	abi arch.Arch
	nr  uint32
}

type merger struct {
	native arch.Arch
	out    *Profile
	ps     []*Profile
	abis   []arch.Arch               // the ABIs the merged filter covers
	tables map[arch.Arch][]*Table    // the tables of the inputs that cover each ABI
	wants  map[abiNr][]Entry         // the inputs' entries for a system call
	names  []string                  // the names the inputs' rules give an action
	touch  map[string][]abiNr        // the system calls each name reaches
	refs   map[string][]abiNr        // each name's candidates to build its rules from
	pick   map[string]int            // the candidate in use
	rules  map[string][]Rule         // the rules built for each name
	failed map[abiNr]string          // the system calls the merged profile got wrong
	fromTo map[abiNr]map[string]bool // names that reach each system call
}

func newMerger(native arch.Arch, out *Profile, ps []*Profile) (*merger, error) {
	m := &merger{native: native, out: out, ps: ps, tables: map[arch.Arch][]*Table{},
		wants: map[abiNr][]Entry{}, touch: map[string][]abiNr{}, refs: map[string][]abiNr{},
		pick: map[string]int{}, rules: map[string][]Rule{}, fromTo: map[abiNr]map[string]bool{}}
	if native != arch.Invalid {
		m.abis = append(m.abis, native)
	}
	for _, a := range out.Arches {
		if !slices.Contains(m.abis, a) {
			m.abis = append(m.abis, a)
		}
	}
	if len(m.abis) == 0 {
		return nil, fmt.Errorf("%w: no architecture: give the native one", ErrInvalid)
	}
	for _, a := range m.abis {
		var defs []Action
		for i, p := range ps {
			if !(a == native || slices.Contains(p.Arches, a)) {
				continue
			}
			t, err := p.Table(a, TableOptions{})
			if err != nil {
				return nil, fmt.Errorf("profile %d on %s: %w", i+1, a, err)
			}
			m.tables[a] = append(m.tables[a], t)
			defs = append(defs, p.Default)
		}
		if d := combine(defs); d.Permits() != out.Default.Permits() {
			return nil, fmt.Errorf("%w: on %s the system calls no rule names would get %v, but the merged default is %v; merge profiles that cover the same architectures", ErrNotExpressible, a, d, out.Default)
		}
	}
	seen := map[string]bool{}
	for _, p := range ps {
		for _, r := range p.Rules {
			if r.Action == p.Default {
				continue
			}
			for _, n := range r.Names {
				if !seen[n] {
					seen[n] = true
					m.names = append(m.names, n)
				}
			}
		}
	}
	slices.Sort(m.names)
	for _, n := range m.names {
		var direct, muxed []abiNr
		for _, a := range m.abis {
			if nr, ok := a.SyscallNumber(n); ok {
				k := abiNr{a, nr}
				m.touch[n] = append(m.touch[n], k)
				direct = append(direct, k)
			}
			if mx, ok := a.Multiplexed(n); ok {
				k := abiNr{a, mx.Nr}
				m.touch[n] = append(m.touch[n], k)
				muxed = append(muxed, k)
			}
		}
		for _, k := range m.touch[n] {
			if m.fromTo[k] == nil {
				m.fromTo[k] = map[string]bool{}
			}
			m.fromTo[k][n] = true
		}
		// 64-bit ABIs first: their conditions read the same, truncated,
		// on 32-bit ones more often than the reverse.
		slices.SortStableFunc(direct, func(x, y abiNr) int { return y.abi.Bits() - x.abi.Bits() })
		m.refs[n] = append(direct, muxed...)
	}
	return m, nil
}

// want returns the entries of the inputs that cover k.abi for k.nr.
func (m *merger) want(k abiNr) []Entry {
	if es, ok := m.wants[k]; ok {
		return es
	}
	var es []Entry
	for _, t := range m.tables[k.abi] {
		e, ok := t.Lookup(k.nr)
		if !ok {
			e = Entry{Nr: k.nr, Action: t.Default}
		}
		es = append(es, e)
	}
	m.wants[k] = es
	return es
}

func decideAll(a arch.Arch, es []Entry, args [6]uint64) Action {
	acts := make([]Action, len(es))
	for i := range es {
		acts[i] = es[i].Decide(a, args)
	}
	return combine(acts)
}

func (m *merger) run() (*Profile, error) {
	for _, n := range m.names {
		if err := m.build(n); err != nil {
			return nil, err
		}
	}
	for round := 0; ; round++ {
		if err := m.assemble(); err != nil {
			return nil, err
		}
		if err := m.verify(); err != nil {
			return nil, err
		}
		if len(m.failed) == 0 {
			return m.out, nil
		}
		// Build the names that reach a wrong system call from their next
		// candidate.
		retry := map[string]bool{}
		for k := range m.failed {
			for n := range m.fromTo[k] {
				if m.pick[n]+1 < m.attempts(n) {
					retry[n] = true
				}
			}
		}
		for _, n := range slices.Sorted(maps.Keys(retry)) {
			m.pick[n]++
			if err := m.build(n); err != nil {
				return nil, err
			}
		}
		if len(retry) == 0 || round == 16 {
			keys := slices.SortedFunc(maps.Keys(m.failed), func(x, y abiNr) int {
				if x.abi != y.abi {
					return int(x.abi) - int(y.abi)
				}
				return int(x.nr) - int(y.nr)
			})
			hint := ""
			for i, p := range m.ps {
				for _, a := range m.abis {
					if a != m.native && !slices.Contains(p.Arches, a) && hint == "" {
						hint = fmt.Sprintf(" (profile %d does not cover %s: merge profiles that cover the same architectures)", i+1, a)
					}
				}
			}
			return nil, fmt.Errorf("%w: the union cannot be written as one profile: %s%s", ErrNotExpressible, m.failed[keys[0]], hint)
		}
	}
}

// attempts is the number of ways build can write the rules of n: the
// inputs' own rules, then for each candidate ABI the classes of values
// with their own actions (precise) and with one action (coarse).
func (m *merger) attempts(n string) int { return 1 + 2*len(m.refs[n]) }

// coarse reports whether the rules of n in use have one action besides
// the default, the stricter of what they stand for.
func (m *merger) coarse(n string) bool { return m.pick[n] > 0 && m.pick[n]%2 == 0 }

// build makes the rules of name n in the current attempt, or the next
// one that can be written.
func (m *merger) build(n string) error {
	for {
		err := m.try(n)
		if err == nil || m.pick[n]+1 >= m.attempts(n) {
			return err
		}
		m.pick[n]++
	}
}

// original returns the rules the inputs give n, each with the action the
// merge gives the calls it matches when the other inputs do not name n.
func (m *merger) original(n string) []Rule {
	var out []Rule
	for i, p := range m.ps {
		for _, r := range p.Rules {
			if r.Action == p.Default || !slices.Contains(r.Names, n) {
				continue
			}
			acts := make([]Action, len(m.ps))
			for j, q := range m.ps {
				acts[j] = q.Default
			}
			acts[i] = r.Action
			out = append(out, Rule{Names: []string{n}, Action: combine(acts), Conds: slices.Clone(r.Conds)})
		}
	}
	// libseccomp keeps the first unconditional rule and nothing else.
	for _, r := range out {
		if len(r.Conds) == 0 {
			return []Rule{r}
		}
	}
	return out
}

func (m *merger) try(n string) error {
	refs := m.refs[n]
	if len(refs) == 0 {
		m.rules[n] = nil // no ABI of the merge has the name
		return nil
	}
	if m.pick[n] == 0 {
		m.rules[n] = m.original(n)
		return nil
	}
	ref := refs[(m.pick[n]-1)/2]
	a := ref.abi
	es := m.want(ref)
	cls, err := classes(a, es...)
	if err != nil {
		return fmt.Errorf("%w: %s on %s: %w", ErrNotExpressible, n, a, err)
	}
	nr, direct := a.SyscallNumber(n)
	if !direct || nr != ref.nr {
		// Through socketcall or ipc: libseccomp adds arg0 == call to the
		// name's rules and drops their own arg0 conditions.
		mx, _ := a.Multiplexed(n)
		v := uint64(mx.Call)
		cls[0] = []argClass{{rep: v, set: cubeSet{{^uint64(0), v}}}}
	}
	type tuple struct {
		act  Action
		sets [MaxArg + 1][]int // class indices per argument
	}
	var tuples []tuple
	acts := map[Action]bool{}
	err = combos(cls, func(args [6]uint64, idx [6]int) bool {
		t := tuple{act: decideAll(a, es, args)}
		for k := range idx {
			t.sets[k] = []int{idx[k]}
		}
		acts[t.act] = true
		tuples = append(tuples, t)
		return true
	})
	if err != nil {
		return fmt.Errorf("%w: %s on %s: %w", ErrNotExpressible, n, a, err)
	}
	if !direct || nr != ref.nr {
		for i := range tuples {
			tuples[i].sets[0] = nil
		}
	}
	if m.coarse(n) {
		// One action besides the default: libseccomp keeps rules of one
		// action apart from nothing, it takes their union.
		var one Action
		found := false
		for _, t := range tuples {
			if t.act.Permits() != m.out.Default.Permits() {
				if !found {
					one, found = t.act, true
				} else {
					one = Stricter(one, t.act)
				}
			}
		}
		acts = map[Action]bool{}
		for i, t := range tuples {
			if t.act.Permits() != m.out.Default.Permits() {
				tuples[i].act = one
			} else {
				tuples[i].act = m.out.Default
			}
			acts[tuples[i].act] = true
		}
	}
	if len(acts) == 1 {
		m.rules[n] = []Rule{{Names: []string{n}, Action: tuples[0].act}}
		return nil
	}
	// Merge tuples of one action that differ in one argument.
	kept := tuples[:0]
	for _, t := range tuples {
		if t.act != m.out.Default {
			kept = append(kept, t)
		}
	}
	tuples = kept
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(tuples) && !changed; i++ {
			for j := i + 1; j < len(tuples) && !changed; j++ {
				if tuples[i].act != tuples[j].act {
					continue
				}
				diff := -1
				for k := range tuples[i].sets {
					if !slices.Equal(tuples[i].sets[k], tuples[j].sets[k]) {
						if diff >= 0 {
							diff = -2
							break
						}
						diff = k
					}
				}
				if diff < 0 {
					continue
				}
				u := append(slices.Clone(tuples[i].sets[diff]), tuples[j].sets[diff]...)
				slices.Sort(u)
				tuples[i].sets[diff] = u
				tuples = slices.Delete(tuples, j, j+1)
				changed = true
			}
		}
	}
	var rules []Rule
	for _, t := range tuples {
		alts := [][]Cond{nil}
		for k, idx := range t.sets {
			if idx == nil || len(idx) == len(cls[k]) {
				continue
			}
			var set cubeSet
			for _, i := range idx {
				set = append(set, cls[k][i].set...)
			}
			var next [][]Cond
			for _, c := range pieces(uint8(k), set, a) {
				for _, alt := range alts {
					next = append(next, append(slices.Clone(alt), c))
				}
			}
			alts = next
			if len(alts) > maxMergeRules {
				break
			}
		}
		for _, alt := range alts {
			rules = append(rules, Rule{Names: []string{n}, Action: t.act, Conds: alt})
		}
		if len(rules) > maxMergeRules {
			return fmt.Errorf("%w: %s on %s would need more than %d rules", ErrNotExpressible, n, a, maxMergeRules)
		}
	}
	m.rules[n] = rules
	return nil
}

// pieces returns single comparisons of argument k whose union is set (a
// union of classes, in the domain of ABI a).
func pieces(k uint8, set cubeSet, a arch.Arch) []Cond {
	dmax := ^uint64(0)
	if a.Bits() == 32 {
		dmax = 0xffffffff
	}
	// Blocks of consecutive values are intervals; merge them.
	var ivs []interval
	for _, c := range set {
		low := ^c.mask & dmax
		if low&(low+1) != 0 {
			ivs = nil
			break
		}
		ivs = append(ivs, interval{c.val & dmax, c.val&dmax | low})
	}
	if len(ivs) == len(set) {
		slices.SortFunc(ivs, func(x, y interval) int {
			if x.lo < y.lo {
				return -1
			}
			if x.lo > y.lo {
				return 1
			}
			return 0
		})
		var merged []interval
		for _, iv := range ivs {
			if n := len(merged); n > 0 && merged[n-1].hi != dmax && merged[n-1].hi+1 == iv.lo {
				merged[n-1].hi = iv.hi
				continue
			}
			merged = append(merged, iv)
		}
		if len(merged) == 2 && merged[0].lo == 0 && merged[1].hi == dmax && merged[0].hi+2 == merged[1].lo {
			return []Cond{{Arg: k, Op: OpNE, Value: merged[0].hi + 1}}
		}
		var out []Cond
		for _, iv := range merged {
			switch {
			case iv.lo == iv.hi:
				out = append(out, Cond{Arg: k, Op: OpEQ, Value: iv.lo})
			case iv.lo == 0:
				out = append(out, Cond{Arg: k, Op: OpLE, Value: iv.hi})
			case iv.hi == dmax:
				out = append(out, Cond{Arg: k, Op: OpGE, Value: iv.lo})
			default:
				for _, c := range span(iv.lo, iv.hi) {
					out = append(out, maskedCond(k, c, dmax))
				}
			}
		}
		return out
	}
	var out []Cond
	for _, c := range set {
		out = append(out, maskedCond(k, c, dmax))
	}
	return out
}

func maskedCond(k uint8, c cube, dmax uint64) Cond {
	if c.mask&dmax == dmax {
		return Cond{Arg: k, Op: OpEQ, Value: c.val & dmax}
	}
	return Cond{Arg: k, Op: OpMaskedEQ, Value: c.mask & dmax, ValueTwo: c.val & dmax}
}

// assemble writes the rules into the merged profile: unconditional ones
// first, grouped by action, then the conditional ones name by name.
func (m *merger) assemble() error {
	var plain, cond []Rule
	for _, n := range m.names {
		for _, r := range m.rules[n] {
			if r.Action == m.out.Default {
				continue
			}
			if len(r.Conds) == 0 {
				plain = append(plain, r.clone())
			} else {
				cond = append(cond, r.clone())
			}
		}
	}
	slices.SortStableFunc(plain, func(x, y Rule) int { return int(x.Action.Kind) - int(y.Action.Kind) })
	m.out.Rules = append(plain, cond...)
	m.out.Normalize()
	return nil
}

// verify compares the merged profile with the inputs, exactly, on every
// system call a name reaches, and records those it gets wrong.
func (m *merger) verify() error {
	m.failed = map[abiNr]string{}
	for _, a := range m.abis {
		t, err := m.out.Table(a, TableOptions{})
		if err != nil {
			// libseccomp would refuse the merged rules (EEXIST): say
			// which system call, and try other candidates.
			for k := range m.fromTo {
				if k.abi == a {
					m.failed[k] = fmt.Sprintf("on %s: %v", a, err)
				}
			}
			continue
		}
		for k := range m.fromTo {
			if k.abi != a {
				continue
			}
			e, ok := t.Lookup(k.nr)
			if !ok {
				e = Entry{Nr: k.nr, Action: t.Default}
			}
			es := m.want(k)
			cls, err := classes(a, append([]Entry{e}, es...)...)
			if err != nil {
				m.failed[k] = fmt.Sprintf("on %s: %v", a, err)
				continue
			}
			exact := true
			for n := range m.fromTo[k] {
				exact = exact && !m.coarse(n)
			}
			var bad string
			err = combos(cls, func(args [6]uint64, _ [6]int) bool {
				got, want := e.Decide(a, args), decideAll(a, es, args)
				if got.Permits() != want.Permits() || exact && got != want {
					name, _ := a.SyscallName(k.nr)
					bad = fmt.Sprintf("%s %s with arguments %#x would be %v instead of %v", a, name, args, got, want)
					return false
				}
				return true
			})
			if err != nil {
				bad = fmt.Sprintf("on %s: %v", a, err)
			}
			if bad != "" {
				m.failed[k] = bad
			}
		}
	}
	return nil
}

// Gap is a system call one profile lets run and another does not.
type Gap struct {
	Arch   arch.Arch
	Name   string
	Nr     uint32
	Args   [6]uint64 // an example of arguments
	Cond   bool      // whether the arguments matter (Args is an example)
	Action Action    // what the covering profile does instead
}

func (g Gap) String() string {
	s := fmt.Sprintf("%s %s", g.Arch, g.Name)
	if g.Cond {
		s += fmt.Sprintf(" with arguments %#x", g.Args)
	}
	return s + " is " + g.Action.String()
}

// Covers reports the system calls that other lets run (ALLOW or LOG) and
// p does not, on every ABI other covers, for filters built for native.
// The answer is exact: each system call's arguments are split into the
// classes of values that the conditions of both profiles tell apart, and
// one value of each class is tried in every combination (see classes).
// When there are too many combinations to try, the error wraps
// ErrUndecided: Covers never answers "no gap" without having proven it.
func Covers(p, other *Profile, native arch.Arch) ([]Gap, error) {
	covered := func(q *Profile) []arch.Arch {
		as := slices.Clone(q.Arches)
		if native != arch.Invalid && !slices.Contains(as, native) {
			as = append(as, native)
		}
		return as
	}
	pArches := covered(p)
	var gaps []Gap
	for _, a := range covered(other) {
		to, err := other.Table(a, TableOptions{})
		if err != nil {
			return nil, fmt.Errorf("profile on %s: %w", a, err)
		}
		if !slices.Contains(pArches, a) {
			if permitsSome(to) {
				gaps = append(gaps, Gap{Arch: a, Name: "(every system call: the architecture is not covered)", Action: DefaultBadArch})
			}
			continue
		}
		tp, err := p.Table(a, TableOptions{})
		if err != nil {
			return nil, fmt.Errorf("profile on %s: %w", a, err)
		}
		if to.Default.Permits() && !tp.Default.Permits() {
			gaps = append(gaps, Gap{Arch: a, Name: "(the system calls no rule names)", Action: tp.Default})
		}
		for _, sc := range a.Syscalls() {
			eo, hasO := to.Lookup(sc.Nr)
			ep, hasP := tp.Lookup(sc.Nr)
			if !hasO {
				eo = Entry{Nr: sc.Nr, Action: to.Default}
			}
			if !hasP {
				ep = Entry{Nr: sc.Nr, Action: tp.Default}
			}
			if len(eo.Rules) == 0 && !eo.Action.Permits() {
				continue
			}
			if len(eo.Rules) == 0 && len(ep.Rules) == 0 {
				if !ep.Action.Permits() {
					gaps = append(gaps, Gap{Arch: a, Name: sc.Name, Nr: sc.Nr, Action: ep.Action})
				}
				continue
			}
			g, ok, err := argGap(a, sc, eo, ep)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", a, sc.Name, err)
			}
			if ok {
				gaps = append(gaps, g)
			}
		}
	}
	return gaps, nil
}

// permitsSome reports whether t lets some system call run.
func permitsSome(t *Table) bool {
	if t.Default.Permits() {
		return true
	}
	for _, e := range t.Syscalls {
		if e.Action.Permits() || len(e.Rules) > 0 && e.Fallback.Permits() {
			return true
		}
		for _, r := range e.Rules {
			if r.Action.Permits() {
				return true
			}
		}
	}
	return false
}

// argGap looks for arguments that eo lets run and ep does not.
func argGap(a arch.Arch, sc arch.Syscall, eo, ep Entry) (Gap, bool, error) {
	cls, err := classes(a, eo, ep)
	if err != nil {
		return Gap{}, false, err
	}
	var g Gap
	found := false
	err = combos(cls, func(args [6]uint64, _ [6]int) bool {
		if eo.Decide(a, args).Permits() {
			if act := ep.Decide(a, args); !act.Permits() {
				g, found = Gap{Arch: a, Name: sc.Name, Nr: sc.Nr, Args: args, Cond: true, Action: act}, true
				return false
			}
		}
		return true
	})
	return g, found, err
}
