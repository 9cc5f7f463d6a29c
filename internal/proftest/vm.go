package proftest

import (
	"math/rand/v2"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Permits reports whether a SECCOMP_RET_* value lets the system call run
// (ALLOW or LOG).
func Permits(ret uint32) bool {
	return seccomp.ActionOf(ret).Permits()
}

// Covered returns the ABIs a filter built from p for host covers: host
// and p.Arches, without duplicates.
func Covered(p *profile.Profile, host arch.Arch) []arch.Arch {
	out := []arch.Arch{host}
	for _, a := range p.Arches {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Probe returns the system calls of ABI a to run the filters of ps on
// side by side: Inputs of each profile (every number of the table, the
// numbers beyond it, the boundary values of every condition, a wrong
// ABI, the x32 bit), and n more drawn at random: a number the profiles'
// conditions reach, with each argument a boundary value of one of their
// conditions, a value near it, its other half-word, or a random word.
func Probe(r *rand.Rand, a arch.Arch, n int, ps ...*profile.Profile) []bpf.SeccompData {
	var out []bpf.SeccompData
	var vals []uint64
	var nrs []uint32
	seen := map[bpf.SeccompData]bool{}
	for _, p := range ps {
		for _, d := range Inputs(p, a) {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
		for nr, groups := range rulesOn(p, a) {
			nrs = append(nrs, nr)
			for _, g := range groups {
				for _, c := range g {
					vals = append(vals, boundaries(c)...)
					vals = append(vals, satisfy(c, a.Bits() == 32))
				}
			}
		}
	}
	slices.Sort(nrs) // rulesOn is a map: keep the draw deterministic
	slices.Sort(vals)
	if len(nrs) == 0 {
		for _, s := range a.Syscalls()[:min(8, len(a.Syscalls()))] {
			nrs = append(nrs, s.Nr)
		}
	}
	for i := 0; i < n; i++ {
		d := bpf.SeccompData{Nr: int32(nrs[r.IntN(len(nrs))]), Arch: a.Audit()}
		for k := range d.Args {
			switch x := r.IntN(10); {
			case x < 5 && len(vals) > 0:
				d.Args[k] = vals[r.IntN(len(vals))]
			case x < 7 && len(vals) > 0:
				d.Args[k] = vals[r.IntN(len(vals))] + uint64(r.IntN(5)) - 2
			case x < 8 && len(vals) > 0:
				v := vals[r.IntN(len(vals))]
				d.Args[k] = v<<32 | v>>32
			case x < 9:
				d.Args[k] = r.Uint64()
			}
		}
		out = append(out, d)
	}
	return out
}

// Runner runs one filter in the VM for the system calls of one ABI,
// loading (and validating) the program once.
type Runner struct {
	vm  *bpf.VM
	abi arch.Arch
}

// NewRunner loads f for calls of abi, laid out in abi's byte order.
func NewRunner(f *seccomp.Filter, abi arch.Arch) (*Runner, error) {
	vm := bpf.NewVM(abi.ByteOrder())
	if err := vm.Load(f.Program); err != nil {
		return nil, err
	}
	return &Runner{vm: vm, abi: abi}, nil
}

// Run returns the filter's SECCOMP_RET_* value for d.
func (r *Runner) Run(d bpf.SeccompData) (uint32, error) {
	ret, _, err := r.vm.Exec(d.Marshal(r.abi.ByteOrder()))
	return ret, err
}
