package lxc_test

import (
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/lxc"
)

func TestWiden(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	for _, tc := range []struct {
		name   string
		arches []arch.Arch
		extra  []arch.Arch
	}{
		{"x86_64 alone", []arch.Arch{arch.X86_64}, []arch.Arch{arch.X86, arch.X32}},
		{"x86_64 and x86", []arch.Arch{arch.X86_64, arch.X86}, []arch.Arch{arch.X32}},
		{"aarch64", []arch.Arch{arch.AARCH64}, []arch.Arch{arch.ARM}},
		{"already all", []arch.Arch{arch.X86_64, arch.X86, arch.X32}, nil},
		{"no sub-architectures", []arch.Arch{arch.S390X}, nil},
		{"not one host's", []arch.Arch{arch.X86_64, arch.ARM}, nil},
		{"native only, on x86_64", nil, []arch.Arch{arch.X86, arch.X32}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: tc.arches,
				Rules: []profile.Rule{{Names: []string{"read"}, Action: allow}}}
			before := p.Clone()
			q, extra := lxc.Widen(p, arch.X86_64)
			if !slices.Equal(extra, tc.extra) {
				t.Fatalf("added %v, want %v", extra, tc.extra)
			}
			if len(p.Arches) != len(before.Arches) {
				t.Fatalf("Widen changed its argument: %v", p.Arches)
			}
			if extra == nil {
				if q != p {
					t.Fatal("nothing added, but a copy returned")
				}
				return
			}
			if len(q.Arches) != max(len(tc.arches), 1)+len(extra) {
				t.Fatalf("widened to %v", q.Arches)
			}
			// The widened profile is what an LXC policy can say exactly.
			if _, losses, err := lxc.Format(q, lxc.Options{}); err != nil || len(losses) > 0 {
				t.Errorf("the widened profile does not format without losses: %v %v", losses, err)
			}
			if _, _, err := lxc.Format(p, lxc.Options{}); err == nil {
				t.Errorf("the profile itself formats without losses: the test shows nothing")
			}
		})
	}
}
