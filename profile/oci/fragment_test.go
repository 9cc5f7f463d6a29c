package oci_test

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

func TestFragment(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	for _, tc := range []struct {
		name string
		p    profile.Profile
		want string
	}{
		{"names", profile.Profile{Rules: []profile.Rule{{Names: []string{"getpgrp"}, Action: allow}}},
			`{"syscalls":[{"action":"SCMP_ACT_ALLOW","names":["getpgrp"]}]}`},
		{"arch and errno", profile.Profile{Arches: []arch.Arch{arch.X86},
			Rules: []profile.Rule{{Names: []string{"a", "b"}, Action: profile.Action{Kind: profile.ActErrno, Data: 38}}}},
			`{"architectures":["SCMP_ARCH_X86"],"syscalls":[{"action":"SCMP_ACT_ERRNO","errnoRet":38,"names":["a","b"]}]}`},
		{"64-bit value kept exact", profile.Profile{Rules: []profile.Rule{{Names: []string{"personality"}, Action: allow,
			Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 0xffffffffffffffff}}}}},
			`{"syscalls":[{"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_EQ","value":18446744073709551615}],"names":["personality"]}]}`},
		{"nothing", profile.Profile{}, `{"syscalls":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := oci.Fragment(&tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			// What it says reads back as a profile's rules.
			q, err := oci.Parse("fragment", append(got[:len(got)-1:len(got)-1], []byte(`,"defaultAction":"SCMP_ACT_ERRNO"}`)...))
			if err != nil {
				t.Fatal(err)
			}
			if len(q.Rules) != len(tc.p.Rules) || len(q.Arches) != len(tc.p.Arches) {
				t.Errorf("read back %d rules and %v, want %d and %v", len(q.Rules), q.Arches, len(tc.p.Rules), tc.p.Arches)
			}
		})
	}
}
