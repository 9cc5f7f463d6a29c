package profile_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// mergePairs is the number of random pairs TestMergeRandom checks: a few
// thousand, fewer under the race detector (which makes the filters run
// about ten times slower).
var (
	mergePairs   = flag.Int("merge.n", map[bool]int{false: 2000, true: 150}[testenv.Race], "random profile pairs TestMergeRandom checks")
	mergeSeed    = flag.Uint64("merge.seed", 0, "seed of TestMergeRandom; 0 picks one from the clock")
	mergeVerbose = flag.Bool("merge.v", false, "log why Merge refuses a pair")
)

// mergeStats are the counts of TestMergeRandom.
type mergeStats struct {
	checked, refused, tooLarge, skipped int
	same, refusedSame                   int // pairs of the same architectures, and of those refused
	calls, gaps, otherAction            int
	failures                            []string
}

func (s *mergeStats) add(o mergeStats) {
	s.checked += o.checked
	s.refused += o.refused
	s.tooLarge += o.tooLarge
	s.skipped += o.skipped
	s.same += o.same
	s.refusedSame += o.refusedSame
	s.calls += o.calls
	s.gaps += o.gaps
	s.otherAction += o.otherAction
	s.failures = append(s.failures, o.failures...)
}

// TestMergeRandom is the property of Merge, checked through the compiled
// filters: for random pairs of profiles (overlapping rules of different
// actions included, on the same ABIs or on different ones), the merged
// filter lets a system call run exactly when one of the inputs' filters
// does, on every input seeded from the conditions' boundary values (v-1,
// v, v+1, the 32-bit halves, a wrong ABI, the x32 bit, numbers beyond
// the table) and on random ones. Merge may refuse a pair it cannot
// express exactly; it must then say so (ErrNotExpressible), and for few
// pairs of profiles of the same architectures. Covers, which `merge
// --check` runs, must find no gap from the merged profile to either
// input, and every gap it finds between the inputs must be real.
func TestMergeRandom(t *testing.T) {
	seed := *mergeSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (-merge.seed to repeat), %d pairs", seed, *mergePairs)
	start := time.Now()
	var total mergeStats
	proftest.Each(*mergePairs, func(i int) mergeStats { return checkMergePair(seed, i) }, func(s mergeStats) bool {
		total.add(s)
		return len(total.failures) == 0
	})
	s := total
	t.Logf("%d pairs merged and checked on %d calls (%d denied with an action of the merge's own choice), %d refused as not expressible (%d of %d with the same architectures), %d merged too large for the kernel, %d skipped (an input libseccomp refuses), %d gaps between inputs confirmed, in %v",
		s.checked, s.calls, s.otherAction, s.refused, s.refusedSame, s.same, s.tooLarge, s.skipped, s.gaps, time.Since(start).Round(time.Millisecond))
	for i, f := range s.failures {
		if i == 3 {
			t.Errorf("... %d more", len(s.failures)-i)
			break
		}
		t.Error(f)
	}
	// Profiles of different architectures often cannot be merged into
	// one (a name means one thing on every ABI); of one machine's, few
	// may be refused.
	if s.checked == 0 || s.refusedSame*10 > s.same {
		t.Errorf("Merge refused %d of %d pairs of profiles with the same architectures: more than one in ten", s.refusedSame, s.same)
	}
}

// checkMergePair checks pair i of the seed.
func checkMergePair(seed uint64, i int) (s mergeStats) {
	fail := func(format string, args ...any) mergeStats {
		s.failures = append(s.failures, fmt.Sprintf("pair %d (-merge.seed %d): ", i, seed)+fmt.Sprintf(format, args...))
		return s
	}
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	cfg := proftest.Config{AllowOverlap: r.IntN(2) == 0}
	a := proftest.Random(r, cfg)
	b := proftest.Random(r, cfg)
	if r.IntN(4) != 0 {
		b.Arches = slices.Clone(a.Arches) // most merges are of one machine's profiles
	}
	host := proftest.Host(a)
	fa, errA := seccomp.Compile(a, host, noStub)
	fb, errB := seccomp.Compile(b, host, noStub)
	if errA != nil || errB != nil {
		s.skipped++ // libseccomp would refuse an input (EEXIST, ...)
		return s
	}
	sameArches := slices.Equal(a.Arches, b.Arches)
	if sameArches {
		s.same++
	}
	m, err := profile.Merge(host, a, b)
	if err != nil {
		if !errors.Is(err, profile.ErrNotExpressible) {
			return fail("Merge: %v\nA: %s\nB: %s", err, dump(a), dump(b))
		}
		s.refused++
		if sameArches {
			s.refusedSame++
		}
		if *mergeVerbose {
			fmt.Printf("pair %d refused (same arches %v): %v\n", i, sameArches, err)
		}
		return s
	}
	fm, err := seccomp.Compile(m, host, noStub)
	if errors.Is(err, seccomp.ErrTooLarge) {
		s.tooLarge++
		if sameArches {
			s.refusedSame++
		}
		return s
	}
	if err != nil {
		return fail("compile the merged profile: %v\n%s", err, dump(m))
	}
	s.checked++
	for _, abi := range proftest.Covered(m, host) {
		var run [3]*proftest.Runner
		for k, f := range []*seccomp.Filter{fa, fb, fm} {
			if run[k], err = proftest.NewRunner(f, abi); err != nil {
				return fail("%v", err)
			}
		}
		for _, d := range proftest.Probe(r, abi, 50, a, b, m) {
			ra, err1 := run[0].Run(d)
			rb, err2 := run[1].Run(d)
			rm, err3 := run[2].Run(d)
			if err := errors.Join(err1, err2, err3); err != nil {
				return fail("%v", err)
			}
			s.calls++
			if rm != ra && rm != rb {
				s.otherAction++
			}
			if want := proftest.Permits(ra) || proftest.Permits(rb); proftest.Permits(rm) != want {
				name, _ := abi.SyscallName(uint32(d.Nr))
				what := "denies what an input allows"
				if !want {
					what = "allows what no input allows"
				}
				return fail("the merged filter %s: %s %s (nr %#x, arch %#x) args %#x: merged %v, inputs %v and %v\nA: %s\nB: %s\nmerged: %s",
					what, abi, name, uint32(d.Nr), d.Arch, d.Args, seccomp.ActionOf(rm), seccomp.ActionOf(ra), seccomp.ActionOf(rb), dump(a), dump(b), dump(m))
			}
		}
	}
	for _, in := range []*profile.Profile{a, b} {
		gaps, err := profile.Covers(m, in, host)
		if err != nil && !errors.Is(err, profile.ErrUndecided) {
			return fail("Covers: %v", err)
		}
		if len(gaps) > 0 {
			return fail("Covers finds the merged profile lacks %v", gaps[0])
		}
	}
	// The gaps Covers finds between the inputs are real.
	gaps, err := profile.Covers(a, b, host)
	if err != nil && !errors.Is(err, profile.ErrUndecided) {
		return fail("Covers: %v", err)
	}
	for _, g := range gaps {
		if strings.HasPrefix(g.Name, "(") {
			continue // not one system call
		}
		if s.gaps >= 20 && !g.Cond {
			continue // enough plain ones
		}
		d := seccomp.DataFor(g.Arch, g.Nr, g.Args[:]...)
		ra, _, _ := fa.Eval(g.Arch, d)
		rb, _, _ := fb.Eval(g.Arch, d)
		if proftest.Permits(ra) || !proftest.Permits(rb) {
			return fail("Covers reports %v, but the filters give %v and %v", g, seccomp.ActionOf(ra), seccomp.ActionOf(rb))
		}
		s.gaps++
	}
	return s
}

// noStub leaves out the ENOSYS answer for numbers above an ABI's table,
// which the compiler adds unless a rule names the number: it is not part
// of the profiles' meaning (see seccomp.Expect), and a merged profile
// that names a number one input does not name rightly answers it as
// that input's profile does.
var noStub = seccomp.Options{NoENOSYS: true}

func dump(p *profile.Profile) string {
	var b strings.Builder
	b.WriteString("default " + p.Default.String() + " arches")
	for _, a := range p.Arches {
		b.WriteString(" " + a.String())
	}
	for _, r := range p.Rules {
		names := r.Names
		if len(names) > 8 {
			names = append(slices.Clone(names[:8]), "...")
		}
		b.WriteString("\n  " + r.Action.String() + " " + strings.Join(names, ","))
		for _, c := range r.Conds {
			b.WriteString(" " + c.String())
		}
	}
	return b.String()
}
