package proftest

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/testenv"
)

// Property is the skeleton of a random property test: cases drawn from
// one seed (a flag, or the clock), checked on every CPU (see Each) until
// the first failure, counted by name, summed up in one log line at the
// end, and failures reported with the flags that replay them. A test
// keeps only its property: what one case draws and checks.
type Property struct {
	name     string   // the flags' prefix
	unit     string   // what one case is, plural ("pairs", "profiles")
	counters []string // in the order the summary lists them
	n        *int
	seed     *uint64
	only     *int
}

// NewProperty registers the flags of the property test test: -name.n,
// the number of cases (n, or raceN under the race detector, which makes
// filters run about ten times slower), -name.seed (0 picks one from the
// clock) and -name.case (check only the case of that index). unit names
// the cases in the plural, and counters are the names a case may Count,
// in the order the summary lists them. Call it as flag.Int is called,
// from a package-level variable.
func NewProperty(name, test, unit string, n, raceN int, counters ...string) *Property {
	if testenv.Race {
		n = raceN
	}
	return &Property{
		name:     name,
		unit:     unit,
		counters: counters,
		n:        flag.Int(name+".n", n, unit+" "+test+" checks"),
		seed:     flag.Uint64(name+".seed", 0, "seed of "+test+"; 0 picks one from the clock"),
		only:     flag.Int(name+".case", -1, "check only this case of the seed (as a failure names it)"),
	}
}

// N returns the number of cases a run checks.
func (p *Property) N() int {
	if *p.only >= 0 {
		return 1
	}
	return *p.n
}

// Case is one case of a property: its index, and the random numbers it
// draws everything from.
type Case struct {
	I      int
	R      *rand.Rand // seeded with the run's seed and I
	p      *Property
	counts []int
}

// Count adds n to the counter name, one of the property's counters.
func (c *Case) Count(name string, n int) {
	c.counts[c.p.index(name)] += n
}

func (p *Property) index(name string) int {
	i := slices.Index(p.counters, name)
	if i < 0 {
		panic(fmt.Sprintf("proftest: %s counts %q, not one of its counters %q", p.name, name, p.counters))
	}
	return i
}

// Counts are the counters of a run, summed over its cases.
type Counts struct {
	p *Property
	n []int
}

// Of returns the counter name.
func (c Counts) Of(name string) int { return c.n[c.p.index(name)] }

// String lists the counters in the property's order: "3 refused, 5
// checked".
func (c Counts) String() string {
	parts := make([]string, len(c.n))
	for i, n := range c.n {
		parts[i] = fmt.Sprintf("%d %s", n, c.p.counters[i])
	}
	return strings.Join(parts, ", ")
}

// Run checks the property on N cases: it logs the seed first, runs check
// on every case until one returns an error (cases already started run to
// their end), then logs the counts and reports the first three failures,
// each with the flags that replay its case. It returns the counts.
func (p *Property) Run(t *testing.T, check func(c *Case) error) Counts {
	t.Helper()
	seed := *p.seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	first, n := 0, *p.n
	if *p.only >= 0 {
		first, n = *p.only, 1
	}
	t.Logf("seed %d (-%s.seed to repeat), %d %s", seed, p.name, n, p.unit)
	start := time.Now()
	type result struct {
		counts []int
		fail   string
	}
	total := Counts{p: p, n: make([]int, len(p.counters))}
	ran := 0
	var failures []string
	Each(n, func(i int) result {
		c := &Case{I: first + i, R: rand.New(rand.NewPCG(seed, uint64(first+i))), p: p, counts: make([]int, len(p.counters))}
		var fail string
		if err := check(c); err != nil {
			fail = fmt.Sprintf("case %d of seed %d (replay with -%s.seed=%d -%s.case=%d): %v", c.I, seed, p.name, seed, p.name, c.I, err)
		}
		return result{c.counts, fail}
	}, func(r result) bool {
		ran++
		for i, v := range r.counts {
			total.n[i] += v
		}
		if r.fail != "" {
			failures = append(failures, r.fail)
		}
		return len(failures) == 0
	})
	t.Logf("%d %s run: %v, in %v", ran, p.unit, total, time.Since(start).Round(time.Millisecond))
	for i, f := range failures {
		if i == 3 {
			t.Errorf("... %d more", len(failures)-i)
			break
		}
		t.Error(f)
	}
	return total
}
