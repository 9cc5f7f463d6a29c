package inspect

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/seccomp"
)

// CompareOptions control Compare.
type CompareOptions struct {
	// Arches are the ABIs to compare on; nil means every ABI syscage
	// knows and an unknown audit value.
	Arches []arch.Arch
	// MaxInputs bounds the inputs tried per system call when the programs
	// look at arguments; 0 means 4096. A call that needs more makes the
	// comparison unproven (a *NotProvenError).
	MaxInputs int
	// MaxExamples bounds the differing inputs kept per system call; 0
	// means 4.
	MaxExamples int
}

// Difference is a system call that two stacks decide differently.
type Difference struct {
	Arch    arch.Arch // arch.Invalid for the unknown audit value
	Nr      uint32
	Syscall string // name on Arch, "" when the table does not know Nr
	// Examples are inputs (arguments, instruction pointer) on which the
	// verdicts differ, the first found first, with the verdicts.
	Examples []Example
	// Inputs is how many inputs were tried for the call, and Differing on
	// how many the verdicts differed.
	Inputs, Differing int
	// ArgsMatter reports that a program looked at the arguments or the
	// instruction pointer on the way to a verdict for this call.
	ArgsMatter bool
}

// Example is one input and the two verdicts (SECCOMP_RET_* values).
type Example struct {
	Data seccomp.Data
	A, B uint32
}

// Stats says how much Compare tried.
type Stats struct {
	Arches   int `json:"abis"`    // ABIs compared
	Syscalls int `json:"numbers"` // system-call numbers compared
	Inputs   int `json:"inputs"`  // inputs tried
}

// unknownAudit is an AUDIT_ARCH_* value no ABI has: both stacks must
// give it their bad-arch action.
const unknownAudit = 0x12345678

// Compare reports every system call on which stacks a and b give
// different verdicts (see the package documentation for the inputs it
// tries), in order of ABI and number. No difference and a nil error
// proves that the stacks decide every input alike (on the ABIs compared).
// When the stacks do something the proof does not cover, the error is a
// *NotProvenError naming the instruction, and the differences and stats
// are still those the search found.
func Compare(a, b Stack, o CompareOptions) ([]Difference, Stats, error) {
	if o.MaxInputs <= 0 {
		o.MaxInputs = 4096
	}
	if o.MaxExamples <= 0 {
		o.MaxExamples = 4
	}
	arches := o.Arches
	withUnknown := arches == nil
	if arches == nil {
		arches = arch.All()
	}
	var st Stats
	if _, err := a.load(binary.LittleEndian); err != nil {
		return nil, st, fmt.Errorf("first filter: %w", err)
	}
	if _, err := b.load(binary.LittleEndian); err != nil {
		return nil, st, fmt.Errorf("second filter: %w", err)
	}
	cands := wordConstants(append(slices.Clone(a), b...))
	unknowns := []uint32{unknownAudit}
	limit := prove(a, b, &cands, withUnknown, &unknowns)
	var diffs []Difference
	// ABIs that share an audit value (x86_64 and x32) are one input
	// space: the number tells them apart.
	type group struct {
		audit  uint32
		order  binary.ByteOrder
		arches []arch.Arch
	}
	var groups []*group
	byAudit := map[uint32]*group{}
	for _, a := range arches {
		g := byAudit[a.Audit()]
		if g == nil {
			g = &group{audit: a.Audit(), order: a.ByteOrder()}
			byAudit[a.Audit()] = g
			groups = append(groups, g)
		}
		g.arches = append(g.arches, a)
	}
	if withUnknown {
		for _, u := range unknowns {
			groups = append(groups, &group{audit: u, order: binary.LittleEndian})
		}
	}
	for _, g := range groups {
		va, err := a.load(g.order)
		if err != nil {
			return nil, st, fmt.Errorf("first filter: %w", err)
		}
		vb, err := b.load(g.order)
		if err != nil {
			return nil, st, fmt.Errorf("second filter: %w", err)
		}
		st.Arches += max(1, len(g.arches))
		for _, nr := range numbers(g.arches, cands[0]) {
			st.Syscalls++
			abi := arch.Invalid
			if len(g.arches) > 0 {
				abi = g.arches[0]
				if x, ok := arch.FromAuditNr(g.audit, nr); ok && slices.Contains(g.arches, x) {
					abi = x
				}
			}
			d, full := compareCall(a, b, va, vb, g.order, abi, g.audit, nr, cands, o)
			st.Inputs += d.Inputs
			if full && limit == nil {
				name := d.Syscall
				if name == "" {
					name = fmt.Sprintf("number %d", nr)
				}
				limit = &NotProvenError{Filter: -1, PC: -1, Reason: fmt.Sprintf("%s of %s needs more than %d argument inputs (CompareOptions.MaxInputs)", name, archText(abi, g.audit), o.MaxInputs)}
			}
			if d.Differing > 0 {
				diffs = append(diffs, d)
			}
		}
	}
	slices.SortStableFunc(diffs, func(x, y Difference) int {
		if x.Arch != y.Arch {
			return int(x.Arch) - int(y.Arch)
		}
		return 0
	})
	if limit != nil {
		return diffs, st, limit
	}
	return diffs, st, nil
}

func archText(a arch.Arch, audit uint32) string {
	if a == arch.Invalid {
		return fmt.Sprintf("architecture %#x", audit)
	}
	return a.String()
}

// prove runs the prover over every program of a and b and adds to cands
// a value of every class of each word the programs tell apart that cands
// lack, and to unknowns (when withUnknown) a value of every class of
// architecture values no ABI has. It returns where the proof stops, or
// nil.
func prove(a, b Stack, cands *[16][]uint32, withUnknown bool, unknowns *[]uint32) *NotProvenError {
	p := newProver()
	known := bddFalse
	for _, x := range arch.All() {
		known = p.b.or(known, p.b.eq(*p.id, p.b.constVec(x.Audit())))
	}
	for si, s := range []Stack{a, b} {
		for fi, prog := range s {
			if !p.analyze(si, fi, prog) {
				return p.limit
			}
		}
	}
	// Numbers: numbers() tries each constant and its neighbours.
	have := []uint32{0, 0xffffffff}
	for _, k := range cands[0] {
		have = append(have, k-1, k, k+1)
	}
	more, ok := p.witnesses(0, have, bddFalse)
	if !ok {
		return p.limit
	}
	cands[0] = append(cands[0], more...)
	for i := 2; i < 16; i++ {
		more, ok := p.witnesses(i, cands[i], bddFalse)
		if !ok {
			return p.limit
		}
		cands[i] = append(cands[i], more...)
		slices.Sort(cands[i])
	}
	if withUnknown {
		more, ok := p.witnesses(1, *unknowns, known)
		if !ok {
			return p.limit
		}
		*unknowns = append(*unknowns, more...)
	}
	return nil
}

// numbers are the system-call numbers tried on ABIs of one audit value:
// their tables, and the constants compared with the number, with their
// neighbours.
func numbers(abis []arch.Arch, consts []uint32) []uint32 {
	var out []uint32
	for _, abi := range abis {
		for _, s := range abi.Syscalls() {
			out = append(out, s.Nr)
		}
		out = append(out, abi.MaxSyscall()+1)
	}
	out = append(out, 0, 0xffffffff)
	for _, k := range consts {
		out = append(out, k-1, k, k+1)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// compareCall explores the inputs of one system call. full reports that
// it stopped at o.MaxInputs with inputs left to try.
func compareCall(a, b Stack, va, vb []*bpf.VM, order binary.ByteOrder, abi arch.Arch, audit, nr uint32, cands [16][]uint32, o CompareOptions) (d Difference, full bool) {
	d = Difference{Arch: abi, Nr: nr}
	if abi != arch.Invalid {
		d.Syscall, _ = abi.SyscallName(nr)
	}
	type words [16]uint32
	var queue []words
	seen := map[words]bool{}
	push := func(w words) {
		if seen[w] {
			return
		}
		if len(seen) >= o.MaxInputs {
			full = true
			return
		}
		seen[w] = true
		queue = append(queue, w)
	}
	push(words{})
	data := make([]byte, seccomp.SeccompDataSize)
	for len(queue) > 0 {
		w := queue[0]
		queue = queue[1:]
		for i := 2; i < 16; i++ {
			order.PutUint32(data[4*i:], w[i])
		}
		order.PutUint32(data[0:], nr)
		order.PutUint32(data[4:], audit)
		var loaded [16]bool
		trace := func(s Stack) func(f, pc int) {
			return func(f, pc int) {
				ins := s[f][pc]
				if ins.Op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS && ins.K >= 8 && ins.K%4 == 0 && ins.K < 64 {
					loaded[ins.K/4] = true
				}
			}
		}
		ra, errA := a.eval(va, data, trace(a))
		rb, errB := b.eval(vb, data, trace(b))
		d.Inputs++
		if errA != nil || errB != nil {
			continue // validated programs do not fail
		}
		if ra != rb {
			d.Differing++
			if len(d.Examples) < o.MaxExamples {
				var sd seccomp.Data
				sd.Nr, sd.Arch = int32(nr), audit
				sd.InstructionPointer = uint64(w[2]) | uint64(w[3])<<32
				if order == binary.BigEndian {
					sd.InstructionPointer = uint64(w[3]) | uint64(w[2])<<32
				}
				for i := range sd.Args {
					lo, hi := w[4+2*i], w[5+2*i]
					if order == binary.BigEndian {
						lo, hi = hi, lo
					}
					sd.Args[i] = uint64(lo) | uint64(hi)<<32
				}
				d.Examples = append(d.Examples, Example{Data: sd, A: ra, B: rb})
			}
		}
		for i := 2; i < 16; i++ {
			if !loaded[i] {
				continue
			}
			d.ArgsMatter = true
			for _, k := range cands[i] {
				nw := w
				nw[i] = k
				push(nw)
			}
		}
	}
	return d, full
}

// wordConstants collects, per 32-bit word of seccomp_data, the constants
// the programs compare it with after loading it (a linear scan: the word
// loaded last before the comparison), with their neighbours and, for
// masked tests, the mask and its complement.
func wordConstants(progs []bpf.Program) [16][]uint32 {
	var out [16][]uint32
	for _, p := range progs {
		word := -1
		for _, ins := range p {
			switch {
			case ins.Op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS:
				word = -1
				if ins.K < 64 && ins.K%4 == 0 {
					word = int(ins.K / 4)
				}
			case ins.Op == bpf.BPF_ALU|bpf.BPF_AND|bpf.BPF_K && word >= 0:
				out[word] = append(out[word], ins.K, ^ins.K)
			case ins.Op&0x07 == bpf.BPF_JMP && ins.Op != bpf.BPF_JMP|bpf.BPF_JA && ins.Op&bpf.BPF_X == 0 && word >= 0:
				k := ins.K
				if word == 0 {
					out[0] = append(out[0], k) // numbers get their neighbours in numbers()
				} else {
					out[word] = append(out[word], k-1, k, k+1)
				}
			case ins.Op&0x07 == bpf.BPF_ALU || ins.Op&0x07 == bpf.BPF_MISC || ins.Op&0x07 == bpf.BPF_LDX:
				word = -1
			}
		}
	}
	for i := range out {
		if i >= 2 {
			out[i] = append(out[i], 0, 0xffffffff, 0x80000000, 0x7fffffff)
		}
		slices.Sort(out[i])
		out[i] = slices.Compact(out[i])
	}
	return out
}
