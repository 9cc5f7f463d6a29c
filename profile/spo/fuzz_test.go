package spo_test

import (
	"testing"

	"github.com/syscage/syscage/internal/formattest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/spo"
)

// FuzzParse: no panic, a nil profile exactly when there is an error, and
// a stable round trip.
func FuzzParse(f *testing.F) {
	named := func(_ *profile.Profile, m *spo.Meta) bool {
		if m.Name == "" {
			m.Name = "x" // Format needs one
		}
		return true
	}
	formattest.FuzzParse(f, formattest.Glob(f, "testdata/*.yaml"), codec, named)
}
