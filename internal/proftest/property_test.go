package proftest_test

import (
	"testing"

	"github.com/syscage/syscage/internal/proftest"
)

var countProp = proftest.NewProperty("proftest.count", "TestPropertyCounts", "numbers", 100, 100, "even", "odd", "draws")

// TestPropertyCounts: Run checks every case once, with its own index and
// random numbers, and sums the counters of all cases.
func TestPropertyCounts(t *testing.T) {
	seen := make([]bool, countProp.N())
	s := countProp.Run(t, func(c *proftest.Case) error {
		seen[c.I] = true // each index once, so no two goroutines write one
		if c.I%2 == 0 {
			c.Count("even", 1)
		} else {
			c.Count("odd", 1)
		}
		c.Count("draws", 1+c.R.IntN(3))
		return nil
	})
	for i, ok := range seen {
		if !ok {
			t.Errorf("case %d not checked", i)
		}
	}
	if s.Of("even") != 50 || s.Of("odd") != 50 || s.Of("draws") < 100 || s.Of("draws") > 300 {
		t.Errorf("counts %v, want 50 even, 50 odd, 100 to 300 draws", s)
	}
	if got, want := s.String(), "50 even, 50 odd, "; len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("String() = %q, want it to begin %q", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("Of a name that is no counter: no panic")
		}
	}()
	s.Of("evne")
}
