package lxc_test

import (
	"testing"

	"github.com/syscage/syscage/internal/formattest"
	"github.com/syscage/syscage/profile"
)

// FuzzParse: no panic, a nil profile exactly when there is an error, a
// lossless Format of every parsed version 2 policy and a stable round
// trip.
func FuzzParse(f *testing.F) {
	// Version 1 needs no lossless check: it has no sections.
	version2 := func(p *profile.Profile, _ *struct{}) bool { return p.ArchMap != nil }
	formattest.FuzzParse(f, formattest.Glob(f, "testdata/*.seccomp"), codec, version2,
		"2\nallowlist errno 1\n[x86]\nread allow [0,1,==] [1,0x10,&=,0x30]\n# c\nwrite # d\n",
		"2\nblacklist notify\nmount kill\n[ALL]\nreject_force_umount\n")
}
