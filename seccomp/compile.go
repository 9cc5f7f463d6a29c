package seccomp

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// ENOSYS is the errno of the stub for system calls newer than the profile.
const ENOSYS = 38

// Options control Compile. The zero value is what runc deploys, plus an
// optimized decision tree.
type Options struct {
	// Arches overrides the ABIs the filter covers. By default the filter
	// covers the host ABI given to Compile and the profile's Arches, in
	// that order, as libseccomp does.
	Arches []arch.Arch
	// BadArch is the action for an ABI the filter does not cover. The
	// zero value means profile.DefaultBadArch (libseccomp's default).
	BadArch profile.Action
	// NoENOSYS turns off the ENOSYS answer of runc's stub (see
	// ENOSYSCeiling). With it on (the default), glibc's fallbacks for
	// system calls newer than the profile keep working, as with runc's
	// patched filters, and the filter decides as runc's does.
	NoENOSYS bool
	// Strict makes names unknown on a covered ABI an error instead of a
	// warning.
	Strict bool
	// Weights gives the relative frequency of system calls by name; the
	// decision tree puts frequent calls closer to the root. Nil weighs
	// every system call the same.
	Weights map[string]float64
	// NoOptimize skips the optimizer passes (for testing the optimizer).
	NoOptimize bool

	// decisions makes every conditional system call use its Decision
	// (for testing decisionCode on every profile).
	decisions bool
}

// Filter is a compiled seccomp filter.
type Filter struct {
	Arches  []arch.Arch // covered ABIs, in dispatch order
	BadArch profile.Action
	Program bpf.Program
	Notes   []string // per instruction: the rule it came from, or ""
	// Skipped lists, per covered ABI, the names of the profile that the
	// ABI does not have and that were therefore skipped, as runc does.
	Skipped []Skipped
}

// Skipped names the system calls of a profile one ABI does not have.
type Skipped struct {
	Arch  arch.Arch
	Names []string
}

// ErrTooLarge reports a filter longer than the kernel accepts.
var ErrTooLarge = errors.New("filter too large")

// Compile turns p into a seccomp filter for a kernel whose native ABI is
// host. Compiling is pure and deterministic: the same inputs give
// byte-identical programs on any machine.
func Compile(p *profile.Profile, host arch.Arch, o Options) (*Filter, error) {
	arches := o.Arches
	if len(arches) == 0 {
		arches = append([]arch.Arch{host}, p.Arches...)
	}
	arches = uniqueArches(arches)
	if err := profile.SameByteOrder(arches...); err != nil {
		return nil, fmt.Errorf("compile for %s: %w", host, err)
	}
	bad := o.BadArch
	if bad.Kind == 0 {
		bad = profile.DefaultBadArch
	}
	c := &compiler{p: p, o: o, bad: bad, b: bpf.NewBuilder(), rets: map[profile.Action]bpf.Label{}}
	f := &Filter{Arches: arches, BadArch: bad}

	tables := map[arch.Arch]*profile.Table{}
	for _, a := range arches {
		t, err := p.Table(a, profile.TableOptions{Strict: o.Strict, Decisions: true})
		if err != nil {
			return nil, fmt.Errorf("compile for %s: %w", a, err)
		}
		tables[a] = t
		if len(t.Unknown) > 0 {
			f.Skipped = append(f.Skipped, Skipped{Arch: a, Names: t.Unknown})
		}
	}
	blocks := planBlocks(arches)

	// Arch dispatch: one comparison per audit value.
	b := c.b
	b.SetNote("arch dispatch")
	b.LoadAbs(OffsetArch)
	labels := make([]bpf.Label, len(blocks))
	for i, blk := range blocks {
		labels[i] = b.NewLabel()
		next := bpf.Label(0)
		b.JumpIf(bpf.BPF_JEQ, blk.audit, labels[i], next)
	}
	b.SetNote("bad arch")
	b.Ret(RetOf(bad))
	for i, blk := range blocks {
		b.Bind(labels[i])
		if err := c.block(blk, tables); err != nil {
			return nil, err
		}
	}
	prog, notes, err := c.link()
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	f.Program, f.Notes = prog, notes
	return f, nil
}

func uniqueArches(in []arch.Arch) []arch.Arch {
	seen := map[arch.Arch]bool{}
	var out []arch.Arch
	for _, a := range in {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// block is the code for one audit value: usually one ABI, or x86_64 and
// x32 together, which share AUDIT_ARCH_X86_64 and differ in the x32 bit.
type block struct {
	audit uint32
	abis  []arch.Arch // one, or x86_64 then x32
}

func planBlocks(arches []arch.Arch) []block {
	var out []block
	idx := map[uint32]int{}
	for _, a := range arches {
		if i, ok := idx[a.Audit()]; ok {
			out[i].abis = append(out[i].abis, a)
			sort.Slice(out[i].abis, func(x, y int) bool { return out[i].abis[x] < out[i].abis[y] })
			continue
		}
		idx[a.Audit()] = len(out)
		out = append(out, block{audit: a.Audit(), abis: []arch.Arch{a}})
	}
	return out
}

type compiler struct {
	p    *profile.Profile
	o    Options
	bad  profile.Action
	b    *bpf.Builder
	rets map[profile.Action]bpf.Label // shared RET instructions of the current block
	// pending conditional entries of the current block
	conds []condBlock
}

type condBlock struct {
	label bpf.Label
	a     arch.Arch
	e     profile.Entry
}

// segment is a range of system-call numbers with one verdict.
type segment struct {
	lo, hi uint32
	act    profile.Action
	cond   *profile.Entry // non-nil: a single number decided by argument rules
	abi    arch.Arch
	weight float64
}

func (s segment) sameVerdict(t segment) bool {
	return s.cond == nil && t.cond == nil && s.act == t.act
}

// background returns the verdicts of numbers no rule names, as segments
// covering 0..2^32-1, as libseccomp's filter decides them: the default,
// and bad-arch for the x32 half of the x86_64 audit value when only one
// of the two is covered (libseccomp's rule: on x86_64, numbers from the
// x32 bit up are bad-arch except -1; on x32, numbers below it are
// bad-arch). The ENOSYS stub is laid over it (stubSpans).
func (c *compiler) background(blk block, def profile.Action) []segment {
	seg := func(lo, hi uint32, act profile.Action) segment { return segment{lo: lo, hi: hi, act: act} }
	has := func(a arch.Arch) bool { return slices.Contains(blk.abis, a) }
	switch {
	case has(arch.X86_64) && has(arch.X32):
		return []segment{seg(0, math.MaxUint32, def)}
	case has(arch.X86_64):
		return []segment{
			seg(0, arch.X32SyscallBit-1, def),
			seg(arch.X32SyscallBit, math.MaxUint32-1, c.bad), seg(math.MaxUint32, math.MaxUint32, def),
		}
	case has(arch.X32):
		return []segment{seg(0, arch.X32SyscallBit-1, c.bad), seg(arch.X32SyscallBit, math.MaxUint32, def)}
	default:
		return []segment{seg(0, math.MaxUint32, def)}
	}
}

// segments returns the verdict of every system-call number of blk as
// sorted, merged segments.
func (c *compiler) segments(blk block, tables map[arch.Arch]*profile.Table) []segment {
	def := tables[blk.abis[0]].Default
	// The stub runs before the filter: its numbers get ENOSYS even when
	// a rule names them (multiplexers the profile names only through
	// their sub-calls, s390's 0).
	stub := c.stubSpans(blk)
	bg := overlay(c.background(blk, def), stub, profile.Action{Kind: profile.ActErrno, Data: ENOSYS})
	inStub := func(nr uint32) bool {
		for _, s := range stub {
			if s.has(nr) {
				return true
			}
		}
		return false
	}
	n := 0
	for _, a := range blk.abis {
		n += len(tables[a].Syscalls)
	}
	points := make([]segment, 0, n)
	for _, a := range blk.abis {
		t := tables[a]
		for i := range t.Syscalls {
			e := &t.Syscalls[i]
			if inStub(e.Nr) {
				continue
			}
			s := segment{lo: e.Nr, hi: e.Nr, act: e.Action, abi: a}
			if e.Conditional() {
				s.cond = e
			}
			points = append(points, s)
		}
	}
	// Each table is sorted; the ABIs of a block usually follow each other.
	byLo := func(a, b segment) int { return cmp.Compare(a.lo, b.lo) }
	if !slices.IsSortedFunc(points, byLo) {
		slices.SortStableFunc(points, byLo)
	}
	out := make([]segment, 0, len(points)/4+len(bg)+8) // neighbours mostly merge
	push := func(lo, hi uint64, s segment) {
		if lo > hi {
			return
		}
		s.lo, s.hi = uint32(lo), uint32(hi)
		if n := len(out); n > 0 && out[n-1].sameVerdict(s) && uint64(out[n-1].hi)+1 == lo {
			out[n-1].hi = s.hi
			return
		}
		out = append(out, s)
	}
	pi := 0
	for _, g := range bg {
		lo := uint64(g.lo)
		for pi < len(points) && points[pi].lo <= g.hi {
			p := points[pi]
			if uint64(p.lo) > lo {
				push(lo, uint64(p.lo)-1, segment{act: g.act})
			}
			push(uint64(p.lo), uint64(p.lo), p)
			lo = uint64(p.lo) + 1
			pi++
		}
		push(lo, uint64(g.hi), segment{act: g.act})
	}
	c.weigh(out, blk)
	return out
}

// weigh sets each segment's weight: the summed frequency of the system
// calls it holds (by name, from Options.Weights), or their count. Empty
// ranges weigh a little so that the tree still balances them.
func (c *compiler) weigh(segs []segment, blk block) {
	for i := range segs {
		segs[i].weight = 0
	}
	// segs are sorted and disjoint: one walk over each ABI's table.
	for _, a := range blk.abis {
		i := 0
		for sc := range a.SyscallsBetween(segs[0].lo, segs[len(segs)-1].hi) {
			for i < len(segs) && segs[i].hi < sc.Nr {
				i++
			}
			if i == len(segs) {
				break
			}
			if sc.Nr < segs[i].lo {
				continue
			}
			if c.o.Weights != nil {
				segs[i].weight += c.o.Weights[sc.Name]
			} else {
				segs[i].weight++
			}
		}
	}
	for i := range segs {
		segs[i].weight += 1e-3
	}
}

func (c *compiler) block(blk block, tables map[arch.Arch]*profile.Table) error {
	b := c.b
	c.rets = map[profile.Action]bpf.Label{}
	c.conds = nil
	names := ""
	for i, a := range blk.abis {
		if i > 0 {
			names += "+"
		}
		names += a.String()
	}
	b.SetNote(names)
	b.LoadAbs(OffsetNr)
	segs := c.segments(blk, tables)
	c.tree(segs)
	// Conditional system calls, then the shared returns.
	for _, cb := range c.conds {
		b.Bind(cb.label)
		c.condCode(cb.a, cb.e)
	}
	acts := make([]profile.Action, 0, len(c.rets))
	for a := range c.rets {
		acts = append(acts, a)
	}
	sort.Slice(acts, func(i, j int) bool { return RetOf(acts[i]) > RetOf(acts[j]) })
	for _, a := range acts {
		b.Bind(c.rets[a])
		b.SetNote(names + ": " + a.String())
		b.Ret(RetOf(a))
	}
	return nil
}

// leaf returns the label that decides segment s.
func (c *compiler) leaf(s segment) bpf.Label {
	if s.cond != nil {
		l := c.b.NewLabel()
		c.conds = append(c.conds, condBlock{label: l, a: s.abi, e: *s.cond})
		return l
	}
	return c.ret(s.act)
}

func (c *compiler) ret(a profile.Action) bpf.Label {
	if l, ok := c.rets[a]; ok {
		return l
	}
	l := c.b.NewLabel()
	c.rets[a] = l
	return l
}

// tree emits a binary search over segs (sorted, covering a contiguous
// range, the accumulator holding nr) and jumps to each segment's leaf.
func (c *compiler) tree(segs []segment) {
	b := c.b
	switch len(segs) {
	case 1:
		b.Goto(c.leaf(segs[0]))
		return
	case 3:
		// A single number between two ranges of one verdict: one jeq.
		if segs[1].lo == segs[1].hi && segs[0].sameVerdict(segs[2]) {
			mid, out := c.leaf(segs[1]), c.leaf(segs[0])
			b.JumpIf(bpf.BPF_JEQ, segs[1].lo, mid, out)
			return
		}
	}
	k := split(segs)
	left, right := segs[:k], segs[k:]
	var rl, ll bpf.Label
	if len(right) == 1 {
		rl = c.leaf(right[0])
	} else {
		rl = b.NewLabel()
	}
	if len(left) == 1 {
		ll = c.leaf(left[0])
	}
	b.JumpIf(bpf.BPF_JGE, right[0].lo, rl, ll)
	if len(left) > 1 {
		c.tree(left)
	}
	if len(right) > 1 {
		b.Bind(rl)
		c.tree(right)
	}
}

// split picks where to divide segs so that both halves weigh about the
// same; it never returns 0 or len(segs).
func split(segs []segment) int {
	total := 0.0
	for _, s := range segs {
		total += s.weight
	}
	best, bestDiff := 1, math.Inf(1)
	acc := 0.0
	for k := 1; k < len(segs); k++ {
		acc += segs[k-1].weight
		d := math.Abs(total - 2*acc)
		if d < bestDiff {
			best, bestDiff = k, d
		}
	}
	return best
}

// CheckNames makes the check Options.Strict adds to Compile, alone: every
// name p uses must exist on host and on each ABI p lists. p must be
// resolved.
func CheckNames(p *profile.Profile, host arch.Arch) error {
	for _, a := range uniqueArches(append([]arch.Arch{host}, p.Arches...)) {
		if _, err := p.Table(a, profile.TableOptions{Strict: true}); err != nil {
			return err
		}
	}
	return nil
}
