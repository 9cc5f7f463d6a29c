package profile_test

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// mergeProp checks a few thousand random pairs, fewer under the race
// detector.
var (
	mergeProp = proftest.NewProperty("merge", "TestMergeRandom", "pairs", 2000, 150,
		"merged and checked", "calls", "denied with an action of the merge's own choice",
		"refused as not expressible", "with the same architectures", "of those refused or merged too large",
		"merged too large for the kernel", "skipped (an input libseccomp refuses)", "gaps between inputs confirmed")
	mergeVerbose = flag.Bool("merge.v", false, "log why Merge refuses a pair")
)

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
	s := mergeProp.Run(t, checkMergePair)
	// Profiles of different architectures often cannot be merged into
	// one (a name means one thing on every ABI); of one machine's, few
	// may be refused.
	if refused, same := s.Of("of those refused or merged too large"), s.Of("with the same architectures"); s.Of("merged and checked") == 0 || refused*10 > same {
		t.Errorf("Merge refused %d of %d pairs of profiles with the same architectures: more than one in ten", refused, same)
	}
}

// checkMergePair checks one random pair.
func checkMergePair(c *proftest.Case) error {
	r := c.R
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
		c.Count("skipped (an input libseccomp refuses)", 1) // EEXIST, ...
		return nil
	}
	sameArches := slices.Equal(a.Arches, b.Arches)
	if sameArches {
		c.Count("with the same architectures", 1)
	}
	m, err := profile.Merge(host, a, b)
	if err != nil {
		if !errors.Is(err, profile.ErrNotExpressible) {
			return fmt.Errorf("Merge: %v\nA: %s\nB: %s", err, dump(a), dump(b))
		}
		c.Count("refused as not expressible", 1)
		if sameArches {
			c.Count("of those refused or merged too large", 1)
		}
		if *mergeVerbose {
			fmt.Printf("pair %d refused (same arches %v): %v\n", c.I, sameArches, err)
		}
		return nil
	}
	fm, err := seccomp.Compile(m, host, noStub)
	if errors.Is(err, seccomp.ErrTooLarge) {
		c.Count("merged too large for the kernel", 1)
		if sameArches {
			c.Count("of those refused or merged too large", 1)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("compile the merged profile: %v\n%s", err, dump(m))
	}
	c.Count("merged and checked", 1)
	for _, abi := range proftest.Covered(m, host) {
		var run [3]*proftest.Runner
		for k, f := range []*seccomp.Filter{fa, fb, fm} {
			if run[k], err = proftest.NewRunner(f, abi); err != nil {
				return err
			}
		}
		for _, d := range proftest.Probe(r, abi, 50, a, b, m) {
			ra, err1 := run[0].Run(d)
			rb, err2 := run[1].Run(d)
			rm, err3 := run[2].Run(d)
			if err := errors.Join(err1, err2, err3); err != nil {
				return err
			}
			c.Count("calls", 1)
			if rm != ra && rm != rb {
				c.Count("denied with an action of the merge's own choice", 1)
			}
			if want := proftest.Permits(ra) || proftest.Permits(rb); proftest.Permits(rm) != want {
				name, _ := abi.SyscallName(uint32(d.Nr))
				what := "denies what an input allows"
				if !want {
					what = "allows what no input allows"
				}
				return fmt.Errorf("the merged filter %s: %s %s (nr %#x, arch %#x) args %#x: merged %v, inputs %v and %v\nA: %s\nB: %s\nmerged: %s",
					what, abi, name, uint32(d.Nr), d.Arch, d.Args, seccomp.ActionOf(rm), seccomp.ActionOf(ra), seccomp.ActionOf(rb), dump(a), dump(b), dump(m))
			}
		}
	}
	for _, in := range []*profile.Profile{a, b} {
		gaps, err := profile.Covers(m, in, host)
		if err != nil && !errors.Is(err, profile.ErrUndecided) {
			return fmt.Errorf("Covers: %v", err)
		}
		if len(gaps) > 0 {
			return fmt.Errorf("Covers finds the merged profile lacks %v", gaps[0])
		}
	}
	// The gaps Covers finds between the inputs are real.
	gaps, err := profile.Covers(a, b, host)
	if err != nil && !errors.Is(err, profile.ErrUndecided) {
		return fmt.Errorf("Covers: %v", err)
	}
	confirmed := 0
	for _, g := range gaps {
		if strings.HasPrefix(g.Name, "(") {
			continue // not one system call
		}
		if confirmed >= 20 && !g.Cond {
			continue // enough plain ones
		}
		d := seccomp.DataFor(g.Arch, g.Nr, g.Args[:]...)
		ra, _, _ := fa.Eval(g.Arch, d)
		rb, _, _ := fb.Eval(g.Arch, d)
		if proftest.Permits(ra) || !proftest.Permits(rb) {
			return fmt.Errorf("Covers reports %v, but the filters give %v and %v", g, seccomp.ActionOf(ra), seccomp.ActionOf(rb))
		}
		confirmed++
	}
	c.Count("gaps between inputs confirmed", confirmed)
	return nil
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
