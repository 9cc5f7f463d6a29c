//go:build libseccomp && cgo

package profile_test

// Differential tests against libseccomp itself: internal/libseccomp builds
// the filter of a profile with the installed libseccomp exactly as runc's
// InitSeccomp does, and the bpf VM runs it. On random profiles
// (internal/proftest) Evaluate must give the same action for every input,
// refuse exactly the profiles libseccomp refuses, and agree with Table.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/libseccomp"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

// libProp checks a few hundred random profiles; every other one lets
// rules of different actions overlap on one system call, where
// libseccomp's tree merging (and its refusals) matter.
var libProp = proftest.NewProperty("evaluate", "TestLibseccompDifferential", "profiles", 200, 40,
	"built", "refused by both", "refused by syscage over its work bound (profile.ErrTooComplex) that libseccomp built", "that libseccomp never finishes (syscage says)",
	"inputs not compared with libseccomp for system calls its tables name otherwise", "verdicts of libseccomp's filters excused by a libseccomp bug")

func TestLibseccompDifferential(t *testing.T) {
	var mu sync.Mutex
	bugs := map[string]int{}
	libProp.Run(t, func(c *proftest.Case) error {
		p := libseccomp.KnownNames(proftest.Random(c.R, proftest.Config{AllowOverlap: c.I%2 == 1}))
		if err := compareWithLibseccomp(t, p, proftest.Host(p), c.R.IntN(2)+1, c, func(bug string) {
			mu.Lock()
			bugs[bug]++
			mu.Unlock()
		}); err != nil {
			js, _ := oci.Format(p)
			return fmt.Errorf("%v\n%s", err, js)
		}
		return nil
	})
	for _, k := range slices.Sorted(maps.Keys(bugs)) {
		t.Logf("%d verdicts of libseccomp's filters excused: its program compares %s (a libseccomp bug)", bugs[k], k)
	}
}

// compareWithLibseccomp returns an error unless our model and libseccomp
// agree on p, built for host with libseccomp's optimize level optimize;
// it counts what it could not compare in c (libProp's counters) and
// tells bug of each verdict it excuses as a libseccomp bug. Each
// disagreement on a verdict is also reported with t.Errorf.
func compareWithLibseccomp(t *testing.T, p *profile.Profile, host arch.Arch, optimize int, c *proftest.Case, bug func(string)) error {
	tabs, ourErr := tables(p, host)
	if errors.Is(ourErr, profile.ErrLibseccompLoop) {
		// libseccomp would never return: the seccomp package's
		// differential test confirms these in a child process it kills.
		c.Count("that libseccomp never finishes (syscage says)", 1)
		return nil
	}
	prog, libErr := libseccomp.Build(p, host, libseccomp.Options{Optimize: optimize})
	switch {
	case errors.Is(ourErr, profile.ErrTooComplex) && libErr == nil:
		// syscage's deliberate bound on the work of its model of
		// libseccomp's rule tree.
		c.Count("refused by syscage over its work bound (profile.ErrTooComplex) that libseccomp built", 1)
		return nil
	case (libErr != nil) != (ourErr != nil):
		return fmt.Errorf("libseccomp: %v; Table: %v", libErr, ourErr)
	case ourErr != nil:
		c.Count("refused by both", 1)
		return nil
	}
	c.Count("built", 1)
	order := host.ByteOrder()
	vm := bpf.NewVM(order)
	if err := vm.Load(prog); err != nil {
		return err
	}
	covered := map[arch.Arch]bool{}
	audits := map[uint32]bool{}
	for _, a := range proftest.Covered(p, host) {
		covered[a] = true
		audits[a.Audit()] = true
	}
	bad := 0
	var vmErr error
	done := evaluateInputs(t, p, host, func(abi arch.Arch, in bpf.SeccompData, d profile.Data, got profile.Action) bool {
		if !checkTable(t, tabs, d, got) {
			bad++
		}
		if callABI, known := arch.FromAuditNr(d.Arch, d.Nr); known && covered[callABI] {
			if ok, _ := libseccomp.Comparable(callABI, d.Nr); !ok {
				c.Count("inputs not compared with libseccomp for system calls its tables name otherwise", 1)
				return true
			}
		}
		raw := in.Marshal(order)
		want, _, err := vm.Exec(raw)
		if err != nil {
			vmErr = err
			return false
		}
		if seccomp.RetOf(got) == want {
			return true
		}
		if at, b := libseccomp.Bug(prog, raw, order, audits); at >= 0 {
			c.Count("verdicts of libseccomp's filters excused by a libseccomp bug", 1)
			bug(b)
			return true
		}
		bad++
		t.Errorf("%s nr %#x arch %#x args %#x: Evaluate %s (%#x), libseccomp -O%d %#x", abi, d.Nr, d.Arch, d.Args, got, seccomp.RetOf(got), optimize, want)
		return bad <= 10
	})
	switch {
	case vmErr != nil:
		return fmt.Errorf("vm: %w", vmErr)
	case !done || bad > 0:
		return fmt.Errorf("%d inputs decided otherwise (Evaluate, Table, libseccomp)", bad)
	}
	return nil
}

// TestLibseccompDockerDefault compares Evaluate with libseccomp on the
// resolved Docker default profile.
func TestLibseccompDockerDefault(t *testing.T) {
	native, ok := arch.Native()
	if !ok || native != arch.X86_64 {
		t.Skip("needs an x86_64 host")
	}
	p := proftest.DockerDefault(native)
	prog, err := libseccomp.Build(p, native, libseccomp.Options{Optimize: 2})
	if err != nil {
		t.Fatalf("libseccomp refused the Docker default profile: %v", err)
	}
	vm := bpf.NewVM(native.ByteOrder())
	if err := vm.Load(prog); err != nil {
		t.Fatal(err)
	}
	vals := boundaries(p)
	skipped := map[string]bool{}
	for _, abi := range []arch.Arch{arch.X86_64, arch.X86, arch.X32, arch.ARM} {
		tab, err := p.Table(abi, profile.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range abi.Syscalls() {
			if ok, _ := libseccomp.Comparable(abi, s.Nr); !ok {
				skipped[s.Name] = true
				continue
			}
			try := vals
			if e, ok := tab.Lookup(s.Nr); !ok || len(e.Rules) == 0 {
				try = []uint64{0, ^uint64(0)} // no argument rules
			}
			for _, v := range try {
				for i := 0; i < 2; i++ {
					d := profile.Data{Nr: s.Nr, Arch: abi.Audit()}
					d.Args[i] = v
					want, _, err := vm.Exec(bpf.SeccompData{Nr: int32(d.Nr), Arch: d.Arch, Args: d.Args}.Marshal(native.ByteOrder()))
					if err != nil {
						t.Fatal(err)
					}
					got, err := profile.Evaluate(p, native, d)
					if err != nil {
						t.Fatal(err)
					}
					if seccomp.RetOf(got) != want {
						t.Fatalf("%s %s args %#x: Evaluate %s, libseccomp %#x", abi, s.Name, d.Args, got, want)
					}
				}
			}
		}
	}
	t.Logf("skipped %d system calls the installed libseccomp %s does not know", len(skipped), libVersion())
}

func libVersion() string {
	a, b, c := libseccomp.Version()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}
