//go:build libseccomp && cgo

package libseccomp

import (
	"encoding/binary"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// What a differential test may compare with the filters Build makes: the
// installed libseccomp's tables differ from syscage's (libseccomp 2.5.4
// lacks the system calls added after Linux 5.17, see
// arch/testdata/libseccomp-2.5.4-differences.txt), and its code generator
// has bugs whose filters do not compute its own rule tree.

// KnownNames returns p without the names the installed libseccomp's table
// lacks on every ABI. runc with that libseccomp skips them, while
// syscage's model, whose tables are newer (see the profile package
// documentation), may merge their rules into a pseudo-syscall's tree that
// refuses conflicting rules (EEXIST): both builds get the names they would
// agree on. Calls of the left-out names are not comparable anyway (see
// Comparable). p itself is not changed.
func KnownNames(p *profile.Profile) *profile.Profile {
	native, _ := arch.Native()
	unknown := func(name string) bool {
		_, ok := SyscallNumber(native, name)
		return !ok
	}
	if !slices.ContainsFunc(p.Rules, func(r profile.Rule) bool { return slices.ContainsFunc(r.Names, unknown) }) {
		return p
	}
	q := *p
	q.Rules = nil
	for _, r := range p.Rules {
		r.Names = slices.DeleteFunc(slices.Clone(r.Names), unknown)
		if len(r.Names) > 0 {
			q.Rules = append(q.Rules, r)
		}
	}
	return &q
}

// names caches the installed libseccomp's name of each system call.
var names sync.Map // nameKey -> string

type nameKey struct {
	a  arch.Arch
	nr uint32
}

// pseudoClash holds the names whose libseccomp pseudo number on this
// machine's ABI is another name's too (libseccomp 2.5.4 to 2.6.1 give
// sys_debug_setcontext and switch_endian both -10191). libseccomp takes
// rule numbers in the machine's ABI and translates them to the filter's
// ABIs through the name, so on this machine a rule for one of them lands
// on the other on the ABIs that have them (ppc); runc on such a host
// resolves them to real numbers and is not affected.
var pseudoClash = sync.OnceValue(func() map[string]bool {
	native, ok := arch.Native()
	if !ok {
		return nil
	}
	by := map[int32][]string{}
	for _, n := range arch.Names() {
		if nr, ok := SyscallNumber(native, n); ok && nr < -1 {
			by[nr] = append(by[nr], n)
		}
	}
	out := map[string]bool{}
	for _, ns := range by {
		if len(ns) > 1 {
			for _, n := range ns {
				out[n] = true
			}
		}
	}
	return out
})

// Comparable reports whether the verdict of a filter from Build on system
// call nr of a can be compared with syscage's: both tables must give it
// the same name (or none), and the name must not be one of the names
// whose pseudo numbers clash on this machine. If not, it says why.
func Comparable(a arch.Arch, nr uint32) (bool, string) {
	k := nameKey{a, nr}
	v, ok := names.Load(k)
	if !ok {
		n, _ := SyscallName(a, nr)
		v, _ = names.LoadOrStore(k, n)
	}
	lib := v.(string)
	if ours, _ := a.SyscallName(nr); ours != lib {
		return false, "system calls the installed libseccomp does not know"
	}
	if clash := pseudoClash(); clash[lib] {
		var ns []string
		for n := range clash {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		return false, "libseccomp's pseudo-number clash between " + strings.Join(ns, " and ")
	}
	return true, ""
}

// Bug returns the first conditional jump on prog's path for data that
// bears the mark of one of two libseccomp code-generation bugs (v2.5.4 to
// v2.6.1), with the mark, or -1:
//
//   - a jump reached with the accumulator loaded from more than one
//     seccomp_data field depending on the path: _gen_bpf_build_bpf
//     restores the accumulator only for the first block that jumps to a
//     shared block, so a comparison of one argument word can run on the
//     word an earlier comparison left behind ("a stale accumulator");
//   - a jump that compares the arch field with a value that is none of
//     audits, the audit values of the filter's ABIs (a system-call number
//     can be another ABI's audit value: parisc's is 15): the load of nr is
//     missing. libseccomp's optimize-1 code drops it, for example, for an
//     aarch64 filter with a rule for fcntl64 (which aarch64 lacks) and a
//     conditional rule for read, and for an x86_64+x32 filter whose first
//     system call is a pseudo-syscall.
//
// The program then does not compute libseccomp's own rule tree, and its
// verdict on data (laid out in order) says nothing about the profile.
func Bug(prog bpf.Program, data []byte, order binary.ByteOrder, audits map[uint32]bool) (int, string) {
	marks := bugMarks(prog, audits)
	var acc uint32
	for pc := 0; pc < len(prog); {
		ins := prog[pc]
		switch {
		case ins.Op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS:
			acc = order.Uint32(data[ins.K:])
			pc++
		case ins.Op == bpf.BPF_ALU|bpf.BPF_AND|bpf.BPF_K:
			acc &= ins.K
			pc++
		case ins.Op == bpf.BPF_JMP|bpf.BPF_JA:
			pc += 1 + int(ins.K)
		case ins.Op&0x07 == bpf.BPF_JMP:
			if m := marks[pc]; m != "" {
				return pc, m
			}
			var t bool
			switch ins.Op & 0xf0 {
			case bpf.BPF_JEQ:
				t = acc == ins.K
			case bpf.BPF_JGT:
				t = acc > ins.K
			case bpf.BPF_JGE:
				t = acc >= ins.K
			case bpf.BPF_JSET:
				t = acc&ins.K != 0
			}
			if t {
				pc += 1 + int(ins.Jt)
			} else {
				pc += 1 + int(ins.Jf)
			}
		default:
			return -1, ""
		}
	}
	return -1, ""
}

// bugMarks finds the jumps of prog that Bug looks for, by the
// seccomp_data offsets the accumulator may hold at each instruction.
func bugMarks(prog bpf.Program, audits map[uint32]bool) map[int]string {
	offs := make([]map[uint32]bool, len(prog)+1)
	flow := func(i int, s map[uint32]bool) {
		if i >= len(offs) {
			return
		}
		if offs[i] == nil {
			offs[i] = map[uint32]bool{}
		}
		for o := range s {
			offs[i][o] = true
		}
	}
	offs[0] = map[uint32]bool{0xffffffff: true} // nothing loaded yet
	out := map[int]string{}
	for i, ins := range prog { // jumps go forward only
		s := offs[i]
		if s == nil {
			continue
		}
		switch {
		case ins.Op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS:
			flow(i+1, map[uint32]bool{ins.K: true})
		case ins.Op == bpf.BPF_JMP|bpf.BPF_JA:
			flow(i+1+int(ins.K), s)
		case ins.Op&0x07 == bpf.BPF_JMP:
			if len(s) > 1 {
				out[i] = "a stale accumulator"
			} else if s[bpf.OffsetArch] && !audits[ins.K] {
				out[i] = "the arch field with a system-call number (a missing load of nr)"
			}
			flow(i+1+int(ins.Jt), s)
			flow(i+1+int(ins.Jf), s)
		case ins.Op&0x07 == bpf.BPF_RET:
		default:
			flow(i+1, s)
		}
	}
	return out
}
