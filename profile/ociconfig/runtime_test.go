package ociconfig_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/ociconfig"
)

// TestAddNeeds: the data files read; only what the profile denies is
// added, in a first rule (so that the profile's own rule for a call, such
// as ENOSYS for faccessat2, does not keep denying it); calls needed only
// without noNewPrivileges are added only then; an allow-all profile is
// returned as it is; an unknown runtime is an error and an unknown
// version gets the newest data, not exact.
func TestAddNeeds(t *testing.T) {
	all, err := ociconfig.Runtimes()
	if err != nil || len(all) == 0 {
		t.Fatalf("runtimes: %v %v", all, err)
	}
	rt, exact, err := ociconfig.LookupRuntime("runc", "0.0.1", "")
	if err != nil || exact || rt.Name != "runc" {
		t.Fatalf("unknown runc version: %v %v %v", rt, exact, err)
	}
	if _, _, err := ociconfig.LookupRuntime("kata", "", ""); !errors.Is(err, ociconfig.ErrNoRuntime) {
		t.Errorf("unknown runtime: %v", err)
	}
	allow := profile.Action{Kind: profile.ActAllow}
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86_64},
		Rules: []profile.Rule{
			{Names: []string{"faccessat2"}, Action: profile.Action{Kind: profile.ActErrno, Data: 38}},
			{Names: []string{"close", "write", "execve", "openat"}, Action: allow},
		}}
	names := func(added []ociconfig.Added) []string {
		var out []string
		for _, a := range added {
			out = append(out, a.Name)
		}
		return out
	}
	q, added, err := ociconfig.AddNeeds(p, rt, true, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	got := names(added)
	if slices.Contains(got, "close") || slices.Contains(got, "faccessat2") || slices.Contains(got, "capset") || !slices.Contains(got, "fstatfs") {
		t.Errorf("with noNewPrivileges, added %v", got)
	}
	if len(q.Rules) != len(p.Rules)+1 || !slices.Equal(q.Rules[0].Names, got) || q.Rules[0].Comment == "" {
		t.Errorf("the rule added: %+v", q.Rules)
	}
	if len(p.Rules) != 2 {
		t.Errorf("p changed: %+v", p.Rules)
	}
	q, added, err = ociconfig.AddNeeds(p, rt, false, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	got = names(added)
	if !slices.Contains(got, "faccessat2") || !slices.Contains(got, "capset") {
		t.Errorf("without noNewPrivileges, added %v", got)
	}
	if v, err := profile.Evaluate(q, arch.X86_64, profile.Data{Nr: mustNr(t, "faccessat2"), Arch: arch.X86_64.Audit()}); err != nil || v.Kind != profile.ActAllow {
		t.Errorf("faccessat2 after adding: %v %v", v, err)
	}
	open := &profile.Profile{Default: allow}
	if q, added, err := ociconfig.AddNeeds(open, rt, false, arch.X86_64); err != nil || len(added) != 0 || q != open {
		t.Errorf("allow-all: %v %v", added, err)
	}
}

func mustNr(t *testing.T, name string) uint32 {
	nr, ok := arch.X86_64.SyscallNumber(name)
	if !ok {
		t.Fatal(name)
	}
	return nr
}
