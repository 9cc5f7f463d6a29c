package profile_test

import (
	"fmt"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
)

// boundaries returns argument values around every datum of p.
func boundaries(p *profile.Profile) []uint64 {
	vals := []uint64{0, 1, 0xffffffff, 0x100000000, 0xffffffffffffffff, 0x7fffffff, 0x80000000}
	for _, r := range p.Rules {
		for _, c := range r.Conds {
			for _, v := range []uint64{c.Value, c.ValueTwo, c.Value & c.ValueTwo, c.Value ^ c.ValueTwo, ^c.Value} {
				vals = append(vals, v-1, v, v+1, v&0xffffffff, v|0xffffffff00000000, v&^0xffffffff, v+0x100000000, v-0x100000000)
			}
		}
	}
	return vals
}

// tables returns p's Table for each ABI of its filter on host, or the
// first error.
func tables(p *profile.Profile, host arch.Arch) (map[arch.Arch]*profile.Table, error) {
	out := map[arch.Arch]*profile.Table{}
	for _, a := range proftest.Covered(p, host) {
		tab, err := p.Table(a, profile.TableOptions{})
		if err != nil {
			return nil, err
		}
		out[a] = tab
	}
	return out, nil
}

// evaluateInputs calls check with Evaluate's verdict on each input
// proftest.Inputs gives for each ABI of p's filter on host, until check
// returns false or Evaluate fails (which fails the test); it reports
// whether it went through all of them.
func evaluateInputs(t *testing.T, p *profile.Profile, host arch.Arch, check func(abi arch.Arch, in bpf.SeccompData, d profile.Data, got profile.Action) bool) bool {
	t.Helper()
	for _, abi := range proftest.Covered(p, host) {
		for _, in := range proftest.Inputs(p, abi) {
			d := profile.Data{Nr: uint32(in.Nr), Arch: in.Arch, Args: in.Args}
			got, err := profile.Evaluate(p, host, d)
			if err != nil {
				t.Errorf("evaluate %s nr %#x args %#x: %v", abi, d.Nr, d.Args, err)
				return false
			}
			if !check(abi, in, d, got) {
				return false
			}
		}
	}
	return true
}

// checkTable reports whether the Table of d's ABI in tabs decides d as
// got, Evaluate's verdict, says (inputs of ABIs the filter does not cover
// agree trivially), and fails the test if not.
func checkTable(t *testing.T, tabs map[arch.Arch]*profile.Table, d profile.Data, got profile.Action) bool {
	t.Helper()
	abi, ok := arch.FromAuditNr(d.Arch, d.Nr)
	tab := tabs[abi]
	if !ok || tab == nil || got == profile.DefaultBadArch {
		return true
	}
	want := tab.Default
	e, has := tab.Lookup(d.Nr)
	if has {
		want = e.Decide(abi, d.Args)
	}
	if want != got {
		t.Errorf("%s nr %#x args %#x: Evaluate %s, Table %s (%+v)", abi, d.Nr, d.Args, got, want, e)
		return false
	}
	return true
}

// checkConsistent compares Evaluate and Table on every system call of
// abi with boundary values in each argument.
func checkConsistent(t *testing.T, p *profile.Profile, native, abi arch.Arch) {
	t.Helper()
	tab, err := p.Table(abi, profile.TableOptions{})
	if err != nil {
		t.Fatalf("table %s: %v", abi, err)
	}
	vals := boundaries(p)
	bad := 0
	nrs := []uint32{}
	for _, s := range abi.Syscalls() {
		nrs = append(nrs, s.Nr)
	}
	nrs = append(nrs, abi.MaxSyscall()+1, 0xffffffff)
	for _, nr := range nrs {
		e, has := tab.Lookup(nr)
		try := func(args [6]uint64) {
			want := tab.Default
			if has {
				want = e.Decide(abi, args)
			}
			got, err := profile.Evaluate(p, native, profile.Data{Nr: nr, Arch: abi.Audit(), Args: args})
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			if got != want && bad < 20 {
				bad++
				t.Errorf("%s nr %d args %#x: Evaluate %s, Table %s (%+v)", abi, nr, args, got, want, e)
			}
		}
		try([6]uint64{})
		if !has || len(e.Rules) == 0 {
			continue
		}
		for i := 0; i < 6; i++ {
			for _, v := range vals {
				var args [6]uint64
				args[i] = v
				try(args)
				for j := range args {
					args[j] = v
				}
				try(args)
			}
		}
	}
}

func TestDockerDefaultConsistent(t *testing.T) {
	hosts := []arch.Arch{arch.X86_64, arch.AARCH64, arch.S390X, arch.PPC64LE, arch.RISCV64, arch.MIPSEL64}
	if testenv.Race {
		hosts = hosts[:2] // test.sh runs every host without the race detector
	}
	for _, host := range hosts {
		p := proftest.DockerDefault(host)
		for _, abi := range append([]arch.Arch{host}, p.Arches...) {
			t.Run(fmt.Sprintf("%s/%s", host, abi), func(t *testing.T) { checkConsistent(t, p, host, abi) })
		}
	}
}
