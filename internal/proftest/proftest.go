// Package proftest generates random profiles and the system calls to check
// them on, for differential tests of the compiler against profile.Evaluate
// and libseccomp. Everything is deterministic given the *rand.Rand.
//
// # Restriction: no ambiguous overlaps
//
// By default (Config.AllowOverlap false) Random never gives one system
// call two conditional rules with different actions that could match the
// same arguments. libseccomp refuses some such pairs with -EEXIST, and for
// the ones it accepts the verdict depends on the order in which its rule
// database merged them, which is a property of libseccomp's internals
// rather than of the profile. So, for every system call (counting the
// socketcall(2) and ipc(2) multiplexers together with all the calls they
// carry, and every name that shares a number with another on some ABI of
// the profile), the rules that libseccomp sees (those whose action is not
// the default) either
//
//   - all have one action, with any conditions (unconditional, repeated
//     argument indices, overlapping ranges: libseccomp takes their union), or
//   - are pairwise disjoint: each has an SCMP_CMP_EQ on one argument index
//     (the same for the whole profile, never 0, which the multiplexers
//     rewrite), with a value whose low 32 bits no other rule uses, and no
//     repeated argument index (runc would turn the rule into an OR).
//
// Names that no ABI of the profile has are left free: they cannot change a
// verdict, but libseccomp still files their rules under its pseudo
// numbers, where two of them can conflict and make both libseccomp and
// syscage refuse the profile (-EEXIST), which checks the refusals.
//
// Config.AllowOverlap lifts the restriction; the verdicts are then only
// comparable where libseccomp's database order is modelled exactly.
package proftest

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// Config tunes Random.
type Config struct {
	// AllowOverlap allows rules for one system call with different actions
	// that overlap (see the package documentation).
	AllowOverlap bool
}

// ArchSets are the ABI sets Random draws from, with their relative
// weights. The first ABI of a set is the host's.
var ArchSets = []struct {
	Arches []arch.Arch
	Weight int
}{
	{[]arch.Arch{arch.X86_64, arch.X86, arch.X32}, 6},
	{[]arch.Arch{arch.X86_64}, 3},
	{[]arch.Arch{arch.X86}, 3},
	{[]arch.Arch{arch.X32}, 2},
	{[]arch.Arch{arch.X86_64, arch.X86}, 1},
	{[]arch.Arch{arch.X32, arch.X86_64}, 1},
	{[]arch.Arch{arch.AARCH64, arch.ARM}, 4},
	{[]arch.Arch{arch.AARCH64}, 2},
	{[]arch.Arch{arch.ARM}, 2},
	{[]arch.Arch{arch.RISCV64}, 3},
	{[]arch.Arch{arch.S390X, arch.S390}, 3},
	{[]arch.Arch{arch.S390X}, 2},
	{[]arch.Arch{arch.PPC64LE}, 3},
	{[]arch.Arch{arch.MIPS64}, 1},
	{[]arch.Arch{arch.MIPSEL64N32}, 1},
}

// Host returns the host ABI of a profile from Random: the first of its
// Arches.
func Host(p *profile.Profile) arch.Arch {
	if len(p.Arches) == 0 {
		return arch.Invalid
	}
	return p.Arches[0]
}

// setInfo is what Random needs to know about an ABI set, computed once.
type setInfo struct {
	names []string       // every name some ABI of the set has, sorted
	mux   []string       // the names multiplexed on some ABI of the set
	group map[string]int // conflict group of each name (see the package doc)
}

var (
	setOnce  sync.Once
	setInfos []setInfo
	allNames []string
)

// socketcall and ipc carry these; they form one conflict group each
// wherever an ABI multiplexes them.
var muxGroups = map[string]string{"socketcall": "socketcall", "ipc": "ipc"}

func infos() []setInfo {
	setOnce.Do(func() {
		allNames = arch.Names()
		for _, s := range ArchSets {
			setInfos = append(setInfos, newSetInfo(s.Arches))
		}
	})
	return setInfos
}

func newSetInfo(as []arch.Arch) setInfo {
	seen := map[string]bool{}
	var in setInfo
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	union := func(a, b string) { parent[find(a)] = find(b) }
	muxSeen := map[string]bool{}
	for _, a := range as {
		byNr := map[uint32]string{}
		for _, s := range a.Syscalls() {
			if !seen[s.Name] {
				seen[s.Name] = true
				in.names = append(in.names, s.Name)
			}
			if o, ok := byNr[s.Nr]; ok {
				union(o, s.Name)
			}
			byNr[s.Nr] = s.Name
		}
		for _, n := range allNames {
			if m, ok := a.Multiplexed(n); ok {
				union(n, muxGroups[m.Syscall])
				if !seen[n] {
					seen[n] = true
					in.names = append(in.names, n)
				}
				if !muxSeen[n] {
					muxSeen[n] = true
					in.mux = append(in.mux, n)
				}
			}
		}
	}
	sort.Strings(in.names)
	sort.Strings(in.mux)
	in.group = map[string]int{}
	ids := map[string]int{}
	for _, n := range in.names {
		r := find(n)
		if _, ok := ids[r]; !ok {
			ids[r] = len(ids)
		}
		in.group[n] = ids[r]
	}
	return in
}

// gen holds the state of one Random call.
type gen struct {
	r      *rand.Rand
	o      Config
	set    setInfo
	hot    []string // a few names drawn often, so that rules share names
	values []uint64 // values used so far, to draw neighbours of
	acts   []profile.Action
	def    profile.Action
	key    uint8           // the argument of the disjoint rules' EQ
	keyLo  map[uint32]bool // low words used by disjoint rules
	groups map[int]*groupState
}

type groupState struct {
	actions  []profile.Action
	disjoint bool // every rule so far is a disjoint one
	n        int
}

// Random returns a random valid profile whose Arches start with the host
// ABI (see Host): a random default action and 1 to 30 rules with random
// actions, names drawn from the ABIs' tables (with the multiplexed socket
// and IPC calls, names some of the ABIs lack, now and then names no ABI
// has, and names repeated across rules), and 0 to 3 conditions with every
// operator and boundary values, sometimes on a repeated argument index.
func Random(r *rand.Rand, o Config) *profile.Profile {
	in := infos()
	si := pickWeighted(r)
	g := &gen{r: r, o: o, set: in[si], keyLo: map[uint32]bool{}, groups: map[int]*groupState{}}
	g.key = uint8(1 + r.IntN(profile.MaxArg))
	p := &profile.Profile{Arches: slices.Clone(ArchSets[si].Arches)}
	if r.IntN(20) == 0 { // a duplicate ABI, which runc ignores
		p.Arches = append(p.Arches, p.Arches[r.IntN(len(p.Arches))])
	}
	g.def = g.action()
	p.Default = g.def
	for i := 0; i < 1+r.IntN(4); i++ {
		g.acts = append(g.acts, g.action())
	}
	nhot := 2 + r.IntN(6)
	for i := 0; i < nhot; i++ {
		g.hot = append(g.hot, g.freshName())
	}
	// 1 to 30 rules, smaller profiles more often: the checks' cost grows
	// with the rules that share a system call.
	var n int
	switch x := r.IntN(100); {
	case x < 50:
		n = 1 + r.IntN(10)
	case x < 85:
		n = 11 + r.IntN(10)
	default:
		n = 21 + r.IntN(10)
	}
	for len(p.Rules) < n {
		rule, ok := g.rule()
		if ok {
			p.Rules = append(p.Rules, rule)
		}
	}
	return p
}

func pickWeighted(r *rand.Rand) int {
	total := 0
	for _, s := range ArchSets {
		total += s.Weight
	}
	x := r.IntN(total)
	for i, s := range ArchSets {
		if x < s.Weight {
			return i
		}
		x -= s.Weight
	}
	return len(ArchSets) - 1
}

var kinds = []profile.ActionKind{
	profile.ActKillProcess, profile.ActKillThread, profile.ActTrap, profile.ActErrno,
	profile.ActUserNotif, profile.ActTrace, profile.ActLog, profile.ActAllow,
}

// action returns a random action: every kind, with errno and trace values
// at the edges of their ranges (ERRNO stays below profile.MaxErrno, which
// libseccomp refuses).
func (g *gen) action() profile.Action {
	k := kinds[g.r.IntN(len(kinds))]
	a := profile.Action{Kind: k}
	switch k {
	case profile.ActErrno:
		a.Data = pick(g.r, []uint16{0, 1, 1, 1, 13, 38, 38, profile.MaxErrno - 1, uint16(g.r.IntN(profile.MaxErrno))})
	case profile.ActTrace:
		a.Data = pick(g.r, []uint16{0, 1, 38, 4095, 0xffff, uint16(g.r.Uint32())})
	}
	return a
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// ruleAction prefers the profile's palette, so that actions repeat.
func (g *gen) ruleAction() profile.Action {
	switch x := g.r.IntN(10); {
	case x < 6:
		return pick(g.r, g.acts)
	case x < 7:
		return g.def
	default:
		return g.action()
	}
}

// freshName draws a name: mostly from the set's tables, with the
// multiplexed calls often, and now and then a name of another ABI or one
// that no ABI has.
func (g *gen) freshName() string {
	switch x := g.r.IntN(100); {
	case x < 15 && len(g.set.mux) > 0:
		return pick(g.r, g.set.mux)
	case x < 18:
		return pick(g.r, allNames) // often absent on the set's ABIs
	case x < 19:
		return "syscage_no_such_call"
	default:
		return pick(g.r, g.set.names)
	}
}

func (g *gen) names() []string {
	var n int
	switch x := g.r.IntN(100); {
	case x < 55:
		n = 1
	case x < 90:
		n = 2 + g.r.IntN(2)
	default:
		n = 4 + g.r.IntN(9)
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if g.r.IntN(2) == 0 {
			out = append(out, pick(g.r, g.hot))
		} else {
			out = append(out, g.freshName())
		}
	}
	return out
}

// rule returns a rule, or false when the restriction left it no names.
func (g *gen) rule() (profile.Rule, bool) {
	rule := profile.Rule{Names: g.names(), Action: g.ruleAction()}
	disjoint := !g.o.AllowOverlap && g.r.IntN(10) < 3
	if disjoint {
		rule.Conds = g.disjointConds()
	} else {
		rule.Conds = g.conds()
	}
	if g.o.AllowOverlap || rule.Action == g.def {
		// runc skips rules with the default action before libseccomp
		// sees them: they constrain nothing.
		return rule, true
	}
	kept := rule.Names[:0]
	for _, n := range rule.Names {
		if g.fits(n, rule.Action, disjoint) {
			kept = append(kept, n)
			g.note(n, rule.Action, disjoint)
		}
	}
	rule.Names = kept
	return rule, len(kept) > 0
}

func (g *gen) groupOf(name string) *groupState {
	id, ok := g.set.group[name]
	if !ok {
		return nil // no ABI of the set has the name
	}
	s := g.groups[id]
	if s == nil {
		s = &groupState{disjoint: true}
		g.groups[id] = s
	}
	return s
}

func (g *gen) fits(name string, a profile.Action, disjoint bool) bool {
	s := g.groupOf(name)
	switch {
	case s == nil || s.n == 0:
		return true
	case len(s.actions) == 1 && s.actions[0] == a:
		return true
	default:
		return disjoint && s.disjoint
	}
}

func (g *gen) note(name string, a profile.Action, disjoint bool) {
	s := g.groupOf(name)
	if s == nil {
		return
	}
	s.n++
	if !slices.Contains(s.actions, a) {
		s.actions = append(s.actions, a)
	}
	s.disjoint = s.disjoint && disjoint
}

var ops = []profile.Op{
	profile.OpNE, profile.OpLT, profile.OpLE, profile.OpEQ, profile.OpGE, profile.OpGT, profile.OpMaskedEQ,
}

func (g *gen) conds() []profile.Cond {
	var n int
	switch x := g.r.IntN(100); {
	case x < 25:
		n = 0
	case x < 60:
		n = 1
	case x < 85:
		n = 2
	default:
		n = 3
	}
	var out []profile.Cond
	for i := 0; i < n; i++ {
		arg := uint8(g.r.IntN(profile.MaxArg + 1))
		if i > 0 && g.r.IntN(5) == 0 {
			arg = out[g.r.IntN(len(out))].Arg // a repeated index: runc ORs the conditions
		}
		out = append(out, g.cond(arg, pick(g.r, ops)))
	}
	return out
}

// disjointConds returns an EQ on the key argument with a new low word,
// and up to two more conditions on other arguments, no index repeated.
func (g *gen) disjointConds() []profile.Cond {
	var v uint64
	for {
		v = g.value()
		if !g.keyLo[uint32(v)] {
			break
		}
	}
	g.keyLo[uint32(v)] = true
	out := []profile.Cond{{Arg: g.key, Op: profile.OpEQ, Value: v}}
	used := map[uint8]bool{g.key: true}
	for i := g.r.IntN(3); i > 0; i-- {
		arg := uint8(g.r.IntN(profile.MaxArg + 1))
		if used[arg] {
			continue
		}
		used[arg] = true
		out = append(out, g.cond(arg, pick(g.r, ops)))
	}
	return out
}

func (g *gen) cond(arg uint8, op profile.Op) profile.Cond {
	c := profile.Cond{Arg: arg, Op: op}
	if op == profile.OpMaskedEQ {
		c.Value = g.mask()
		switch g.r.IntN(4) {
		case 0:
			c.ValueTwo = c.Value & g.r.Uint64() // inside the mask
		case 1:
			c.ValueTwo = g.value() // bits outside the mask too
		case 2:
			c.ValueTwo = c.Value
		default:
			c.ValueTwo = 0
		}
		return c
	}
	c.Value = g.value()
	if g.r.IntN(10) == 0 {
		c.ValueTwo = g.value() // runc passes valueTwo along; libseccomp ignores it
	}
	return c
}

var specials = []uint64{
	0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001,
	0x1ffffffff, 0xffffffff00000000, 0xffffffff00000001, 0x8000000000000000, 0x7fffffffffffffff,
	^uint64(0), ^uint64(0) - 1,
}

// value returns a comparison datum: edge values, small numbers, random
// words with different or equal halves, or a neighbour of a value used
// before in the profile.
func (g *gen) value() uint64 {
	var v uint64
	switch x := g.r.IntN(100); {
	case x < 30:
		v = pick(g.r, specials)
	case x < 45:
		v = uint64(g.r.IntN(64))
	case x < 60:
		v = uint64(g.r.Uint32())
	case x < 75:
		v = g.r.Uint64()
	case x < 82:
		h := uint64(g.r.Uint32())
		v = h<<32 | h
	case x < 87:
		v = uint64(g.r.IntN(4))<<32 | uint64(g.r.Uint32())
	default:
		if len(g.values) == 0 {
			v = g.r.Uint64()
		} else {
			v = pick(g.r, g.values) + uint64(g.r.IntN(3)) - 1
		}
	}
	g.values = append(g.values, v)
	return v
}

func (g *gen) mask() uint64 {
	switch g.r.IntN(10) {
	case 0:
		return 0
	case 1:
		return 1 << g.r.IntN(64)
	case 2:
		return 0xff
	case 3:
		return 0xffffffff
	case 4:
		return 0xffffffff00000000
	case 5:
		return ^uint64(0)
	case 6:
		return 0x0000ffffffff0000
	case 7:
		return uint64(g.r.Uint32())
	default:
		return g.r.Uint64()
	}
}

// Each runs check(i) for every i in [0, n) on GOMAXPROCS goroutines and
// hands each result to add, one at a time; once add returns false (a
// failure to stop at), no new i is started. Property tests over many
// random profiles use it to spread their cases over the machine.
func Each[T any](n int, check func(i int) T, add func(T) bool) {
	var mu sync.Mutex
	next, stop := 0, false
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				done := i >= n || stop
				mu.Unlock()
				if done {
					return
				}
				r := check(i)
				mu.Lock()
				if !add(r) {
					stop = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
