//go:build libseccomp && cgo

package seccomp_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/libseccomp"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/seccomp"
)

// Size factors TestLibseccompArgHeavySize allows: syscage's filter for a
// profile at most sizeFactor times libseccomp's for it, and for the
// hardened profile at most hardenedFactor times libseccomp's for the
// profile as given (hardening splits each comparison of an int argument
// into blocks of values, which libseccomp itself builds to some five
// times its size, in minutes).
const (
	sizeFactor     = 1.1
	hardenedFactor = 2.0
)

// TestLibseccompArgHeavySize compiles random argument-heavy profiles
// (proftest.ArgHeavy) with syscage, plain and hardened, and with libseccomp,
// and checks the sizes against sizeFactor and hardenedFactor and every
// input of the differential test's kind against the profile's meaning.
func TestLibseccompArgHeavySize(t *testing.T) {
	seeds := uint64(3)
	if testenv.Race {
		seeds = 1 // test.sh runs all three without the race detector
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		p := proftest.ArgHeavy(rand.New(rand.NewPCG(seed, 60)), 60, seed%2 == 0)
		lib, err := libseccomp.Build(p, arch.X86_64, libseccomp.Options{Optimize: 2})
		if err != nil {
			t.Logf("seed %d: libseccomp refuses the profile: %v", seed, err)
			continue
		}
		f, err := seccomp.Compile(p, arch.X86_64, noENOSYS)
		if err != nil {
			t.Fatalf("seed %d: compile: %v", seed, err)
		}
		t.Logf("seed %d: libseccomp %d instructions, syscage %d", seed, len(lib), len(f.Program))
		if max := int(sizeFactor * float64(len(lib))); len(f.Program) > max {
			t.Errorf("seed %d: %d instructions, libseccomp %d: want at most %d", seed, len(f.Program), len(lib), max)
		}
		check := []*profile.Profile{p}
		filters := []*seccomp.Filter{f}
		// Hardening refuses rules of different actions that overlap.
		if h, _, err := harden.Profile(p, arch.X86_64); !errors.Is(err, harden.ErrOverlap) {
			if err != nil {
				t.Fatalf("seed %d: harden: %v", seed, err)
			}
			fh, err := seccomp.Compile(h, arch.X86_64, noENOSYS)
			if err != nil {
				t.Fatalf("seed %d: compile hardened: %v", seed, err)
			}
			t.Logf("seed %d: hardened: syscage %d instructions", seed, len(fh.Program))
			if max := int(hardenedFactor * float64(len(lib))); len(fh.Program) > max {
				t.Errorf("seed %d: hardened: %d instructions, libseccomp %d for the profile as given: want at most %d", seed, len(fh.Program), len(lib), max)
			}
			check, filters = append(check, h), append(filters, fh)
		}
		r := rand.New(rand.NewPCG(seed, 61))
		for i, q := range check {
			g := filters[i]
			for _, a := range q.Arches {
				for _, name := range proftest.ArgHeavyNames {
					nr, ok := a.SyscallNumber(name)
					if !ok {
						continue
					}
					for i := 0; i < 40; i++ {
						d := seccomp.DataFor(a, nr)
						for k := range d.Args {
							d.Args[k] = argValue(q, r, k)
						}
						want, err := seccomp.Expect(q, a, noENOSYS, d)
						if err != nil {
							t.Fatalf("expect: %v", err)
						}
						got, _, err := g.Eval(a, d)
						if err != nil {
							t.Fatal(err)
						}
						if got != seccomp.RetOf(want) {
							t.Fatalf("seed %d, %s %s%#x: filter %s, profile %s", seed, a, name, d.Args, seccomp.ActionOf(got), want)
						}
					}
				}
			}
		}
	}
}

// argValue returns a value near one the rules of p compare argument k
// with, or now and then a random one.
func argValue(p *profile.Profile, r *rand.Rand, k int) uint64 {
	if r.IntN(5) == 0 {
		return r.Uint64()
	}
	rule := p.Rules[r.IntN(len(p.Rules))]
	for _, c := range rule.Conds {
		if int(c.Arg) != k {
			continue
		}
		v := c.Value
		if c.Op == profile.OpMaskedEQ {
			v = c.ValueTwo
		}
		switch r.IntN(5) {
		case 0:
			return v - 1
		case 1:
			return v + 1
		case 2:
			return v & 0xffffffff
		case 3:
			return v ^ 1<<32
		}
		return v
	}
	return r.Uint64()
}
