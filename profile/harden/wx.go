package harden

import (
	"fmt"
	"maps"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// Protection bits of mmap(2), mprotect(2) and pkey_mprotect(2), and the
// flag of shmat(2) that maps a segment executable (<linux/shm.h>).
const (
	PROT_WRITE = 0x2
	PROT_EXEC  = 0x4
	SHM_EXEC   = 0o100000
	// ipcSHMAT is shmat's call number behind i386's ipc(2) multiplexer;
	// the kernel reads the call from the low 16 bits of its first
	// argument, and shmat's flags from its third.
	ipcSHMAT = 21
)

// argCube constrains one argument to a cube.
type argCube struct {
	arg uint8
	c   cube
}

// wxCall is a call that W^X denies for arguments in the conjunction of
// its cubes.
type wxCall struct {
	name   string
	denied []argCube
}

// The calls that map memory writable and executable at once. The masks
// test bits of the low 32 bits only: the kernel reads prot and shmflg as
// an int (arch.ArgBits), so the bits above cannot change the decision.
var wxCalls = []wxCall{
	{"mmap", []argCube{{2, cube{PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC}}}},
	{"mmap2", []argCube{{2, cube{PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC}}}},
	{"mprotect", []argCube{{2, cube{PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC}}}},
	{"pkey_mprotect", []argCube{{2, cube{PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC}}}},
	{"shmat", []argCube{{2, cube{SHM_EXEC, SHM_EXEC}}}},
	{"ipc", []argCube{{0, cube{0xffff, ipcSHMAT}}, {2, cube{SHM_EXEC, SHM_EXEC}}}},
}

// WX returns p with memory that is writable and executable at once
// denied, as systemd's MemoryDenyWriteExecute= does: mmap, mmap2,
// mprotect and pkey_mprotect with both PROT_WRITE and PROT_EXEC in prot,
// and shmat with SHM_EXEC (also through i386's ipc multiplexer), get
// EPERM on every ABI the profile covers. Rules that allow these calls
// are split so that they no longer allow those arguments (MASKED_EQ
// comparisons on the low bits the kernel reads), and rules with EPERM
// deny them, unless EPERM is the default. A program can still map a
// file writable, then executable (W then X, which no filter can see as
// one mapping): PR_SET_MDWE (launch) refuses that too where the kernel
// has it. i386's old mmap takes its arguments in memory, which a filter
// cannot read; only PR_SET_MDWE covers it.
func WX(p *profile.Profile, host arch.Arch) (*profile.Profile, []Change, error) {
	if p.Conditional() {
		return nil, nil, fmt.Errorf("%w: wx: the profile has includes, excludes or archMap; resolve it first", profile.ErrInvalid)
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	h := &hardener{p: p.Clone(), arches: coveredArches(p, host)}
	eperm := profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
	for _, w := range wxCalls {
		var out []profile.Rule
		for _, r := range h.p.Rules {
			if !slices.Contains(r.Names, w.name) || !allowing(r.Action) {
				out = append(out, r)
				continue
			}
			rest := r
			rest.Names = slices.DeleteFunc(slices.Clone(r.Names), func(n string) bool { return n == w.name })
			if len(rest.Names) > 0 {
				out = append(out, rest)
			}
			for _, conj := range profile.Conjunctions(r.Conds) {
				for _, cs := range subtractConj(conj, w.denied) {
					out = append(out, profile.Rule{Names: []string{w.name}, Action: r.Action, Comment: r.Comment, Conds: cs})
				}
			}
		}
		if h.p.Default != eperm {
			var conds []profile.Cond
			for _, d := range w.denied {
				conds = append(conds, d.c.cond(d.arg))
			}
			out = append(out, profile.Rule{Names: []string{w.name}, Action: eperm, Conds: conds,
				Comment: "memory-deny-write-execute"})
		}
		h.p.Rules = out
	}
	h.changes = append(h.changes, Change{Check: "wx", Rule: -1, Names: []string{"mmap", "mmap2", "mprotect", "pkey_mprotect", "shmat", "ipc"},
		Message: "memory writable and executable at once gets EPERM (prot with PROT_WRITE|PROT_EXEC, shmat with SHM_EXEC)"})
	if err := h.p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("wx: %w", err)
	}
	return h.p, h.changes, nil
}

// subtractConj returns conjunctions of conditions whose union holds
// exactly the arguments conj holds for and denied does not. A condition
// of conj on a denied argument that is not a cube stays beside the
// cubes (the rule then holds for their intersection).
func subtractConj(conj []profile.Cond, denied []argCube) [][]profile.Cond {
	prefix := map[uint8]cube{}
	var others []profile.Cond
	isDenied := func(arg uint8) bool {
		return slices.ContainsFunc(denied, func(d argCube) bool { return d.arg == arg })
	}
	for _, c := range conj {
		if cb, ok := asCube(c); ok && isDenied(c.Arg) {
			if old, ok := prefix[c.Arg]; ok {
				if old.disjoint(cb) {
					return nil // the rule holds for no value
				}
				cb = cube{old.mask | cb.mask, old.value | cb.value}
			}
			prefix[c.Arg] = cb
			continue
		}
		others = append(others, c)
	}
	emit := func(m map[uint8]cube) []profile.Cond {
		cs := slices.Clone(others)
		for _, arg := range slices.Sorted(maps.Keys(m)) {
			cs = append(cs, m[arg].cond(arg))
		}
		return cs
	}
	var out [][]profile.Cond
	for _, d := range denied {
		w := prefix[d.arg] // the zero cube holds every value
		if w.disjoint(d.c) {
			return append(out, emit(prefix))
		}
		for _, piece := range subtractCube(w, d.c) {
			m := maps.Clone(prefix)
			m[d.arg] = piece
			out = append(out, emit(m))
		}
		prefix[d.arg] = cube{w.mask | d.c.mask, w.value | d.c.value}
	}
	return out // what is left of prefix is denied
}

// subtractCube returns disjoint cubes whose union is w minus f, for
// cubes that intersect.
func subtractCube(w, f cube) []cube {
	var out []cube
	cur := w
	for b := uint64(1); b != 0; b <<= 1 {
		if f.mask&^w.mask&b == 0 {
			continue
		}
		out = append(out, cube{cur.mask | b, cur.value | ^f.value&b})
		cur = cube{cur.mask | b, cur.value | f.value&b}
	}
	return out
}
