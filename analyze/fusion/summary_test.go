package fusion_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/syscage/syscage/analyze/fusion"
)

// TestParseRisks: overrides become Options.Risk, the last one of a
// name winning, and they change what Fuse allows.
func TestParseRisks(t *testing.T) {
	risk, err := fusion.ParseRisks([]string{"ptrace=low", "exec=high", "ptrace=high", "mount=low"}, x)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"ptrace": true, "exec": true, "mount": false}; !maps.Equal(risk, want) {
		t.Errorf("got %v, want %v", risk, want)
	}
	if _, err := fusion.ParseRisks([]string{"ptrace=low", "nosuch=low"}, x); !errors.Is(err, fusion.ErrRisk) {
		t.Errorf("a bad override: %v", err)
	}
	// mount reachable but never seen: withheld as high risk, allowed
	// when overridden low.
	for _, low := range []bool{false, true} {
		o := fusion.Options{}
		if low {
			o.Risk, _ = fusion.ParseRisks([]string{"mount=low"}, x)
		}
		r, err := fusion.Fuse(recording(t, "read"), static("mount"), o)
		if err != nil {
			t.Fatal(err)
		}
		sum := r.Summary()
		withheld := len(sum) == 2 && strings.HasSuffix(sum[1], "stay denied: mount")
		if withheld == low || !strings.Contains(sum[0], "calls allowed: 1 seen, ") {
			t.Errorf("mount=low %v: summary %q", low, sum)
		}
	}
}

func TestRiskClasses(t *testing.T) {
	classes := fusion.RiskClasses()
	if len(classes) != len(fusion.HighRisk) {
		t.Fatalf("%d classes of %d", len(classes), len(fusion.HighRisk))
	}
	for _, c := range classes {
		if _, _, err := fusion.ParseRisk(c+"=low", x); err != nil {
			t.Errorf("class %s: %v", c, err)
		}
	}
}
