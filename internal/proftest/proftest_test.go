package proftest_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
)

const tableTimeout = 10 * time.Second

// table computes p's table for a, giving up after tableTimeout (the
// goroutine then runs on until the test binary exits).
func table(p *profile.Profile, a arch.Arch) (bool, error) {
	c := make(chan error, 1)
	go func() {
		_, err := p.Table(a, profile.TableOptions{})
		c <- err
	}()
	select {
	case err := <-c:
		return true, err
	case <-time.After(tableTimeout):
		return false, nil
	}
}

func TestRandomDeterministic(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		a := proftest.Random(rand.New(rand.NewPCG(seed, 0)), proftest.Config{})
		b := proftest.Random(rand.New(rand.NewPCG(seed, 0)), proftest.Config{})
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two profiles differ", seed)
		}
		if !reflect.DeepEqual(proftest.Inputs(a, proftest.Host(a)), proftest.Inputs(b, proftest.Host(b))) {
			t.Fatalf("seed %d: two input sets differ", seed)
		}
	}
}

// TestRandomValid checks that the profiles are valid, that the restriction
// keeps libseccomp's model from refusing them, and that the generator
// reaches what it promises.
func TestRandomValid(t *testing.T) {
	var (
		archCount = map[arch.Arch]int{}
		opCount   = map[profile.Op]int{}
		kindCount = map[profile.ActionKind]int{}
		repeated  int
		inputs    int
	)
	const n = 2000
	for seed := uint64(0); seed < n; seed++ {
		p := proftest.Random(rand.New(rand.NewPCG(seed, 1)), proftest.Config{})
		if err := p.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(p.Rules) < 1 || len(p.Rules) > 30 {
			t.Errorf("seed %d: %d rules", seed, len(p.Rules))
		}
		for _, a := range p.Arches {
			archCount[a]++
			// libseccomp itself loops on a few profiles; syscage refuses them.
			if _, err := p.Table(a, profile.TableOptions{}); err != nil && !errors.Is(err, profile.ErrLibseccompLoop) {
				t.Errorf("seed %d: the restriction let a conflict through: %v", seed, err)
			}
			inputs += len(proftest.Inputs(p, a))
		}
		kindCount[p.Default.Kind]++
		for _, r := range p.Rules {
			kindCount[r.Action.Kind]++
			seen := map[uint8]bool{}
			for _, c := range r.Conds {
				opCount[c.Op]++
				if seen[c.Arg] {
					repeated++
				}
				seen[c.Arg] = true
			}
		}
	}
	for _, a := range []arch.Arch{arch.X86_64, arch.X86, arch.X32, arch.AARCH64, arch.ARM, arch.RISCV64, arch.S390X, arch.PPC64LE} {
		if archCount[a] < n/20 {
			t.Errorf("%s in only %d of %d profiles", a, archCount[a], n)
		}
	}
	if len(opCount) != 7 || len(kindCount) != 8 || repeated == 0 {
		t.Errorf("operators %v, actions %v, repeated indices %d", opCount, kindCount, repeated)
	}
	t.Logf("arches %v; %.0f inputs per profile", archCount, float64(inputs)/n)
}

// TestRandomOverlap checks that AllowOverlap does produce conflicts.
func TestRandomOverlap(t *testing.T) {
	refused := 0
	for seed := uint64(0); seed < 300; seed++ {
		p := proftest.Random(rand.New(rand.NewPCG(seed, 2)), proftest.Config{AllowOverlap: true})
		if done, err := table(p, proftest.Host(p)); done && err != nil {
			refused++
		}
	}
	if refused == 0 {
		t.Error("AllowOverlap never produced a conflicting profile")
	}
	t.Logf("%d of 300 overlapping profiles refused", refused)
}

func TestInputsBoundaries(t *testing.T) {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Arches:  []arch.Arch{arch.X86},
		Rules: []profile.Rule{{
			Names:  []string{"socket", "personality"},
			Action: profile.Action{Kind: profile.ActAllow},
			Conds:  []profile.Cond{{Arg: 1, Op: profile.OpGT, Value: 0x100000005}},
		}},
	}
	in := proftest.Inputs(p, arch.X86)
	want := map[[2]uint64]bool{ // {nr, args[1]}
		{136, 0x100000004}: false, {136, 0x100000006}: false, {136, 5}: false, {136, 0x100000000}: false,
		{102, 0x100000005}: false, // socketcall
		{359, 0x100000005}: false, // socket
	}
	for _, d := range in {
		k := [2]uint64{uint64(d.Nr), d.Args[1]}
		if _, ok := want[k]; ok {
			if k[0] == 102 && d.Args[0] != 1 && d.Args[1] != 0 {
				continue
			}
			want[k] = true
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("no input nr=%d args[1]=%#x", k[0], k[1])
		}
	}
}
