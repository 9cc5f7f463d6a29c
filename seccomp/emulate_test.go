package seccomp_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// TestEmulateProfile emulates calls through a compiled profile: the
// verdict is the filter's, the reference the profile's, and the path is
// what Emulate gives on the compiled program.
func TestEmulateProfile(t *testing.T) {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Arches:  []arch.Arch{arch.X86},
		Rules: []profile.Rule{
			{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"personality"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 8}}},
		},
	}
	f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		abi  arch.Arch
		name string
		args []uint64
		want string
	}{
		{arch.X86_64, "read", nil, "ALLOW"},
		{arch.X86_64, "personality", []uint64{8}, "ALLOW"},
		{arch.X86_64, "personality", []uint64{9}, "ERRNO(1)"},
		{arch.X86, "read", nil, "ALLOW"},
		{arch.X32, "read", nil, profile.DefaultBadArch.String()},
	} {
		nr, _ := c.abi.SyscallNumber(c.name)
		tr, err := seccomp.EmulateProfile(p, arch.X86_64, seccomp.Options{}, c.abi, nr, c.name, c.args)
		if err != nil {
			t.Fatalf("%s %s: %v", c.abi, c.name, err)
		}
		if tr.Action != c.want || tr.Reference != c.want || tr.Mismatch() != nil {
			t.Errorf("%s %s%v: action %s, reference %s, want %s", c.abi, c.name, c.args, tr.Action, tr.Reference, c.want)
		}
		direct, err := seccomp.Emulate(f.Program, f.Notes, c.abi, nr, c.name, c.args)
		if err != nil {
			t.Fatal(err)
		}
		direct.Reference = tr.Reference
		if !reflect.DeepEqual(tr, direct) {
			t.Errorf("%s %s: EmulateProfile's trace differs from Emulate's on the compiled filter", c.abi, c.name)
		}
	}
	if _, err := seccomp.EmulateProfile(&profile.Profile{}, arch.X86_64, seccomp.Options{}, arch.X86_64, 0, "read", nil); err == nil {
		t.Error("EmulateProfile compiled a profile without a default action")
	}
}

func TestTraceMismatch(t *testing.T) {
	tr := &seccomp.Trace{Action: "KILL_PROCESS", Reference: "ALLOW"}
	if err := tr.Mismatch(); err == nil || !strings.Contains(err.Error(), "filter says KILL_PROCESS but the profile says ALLOW") {
		t.Errorf("Mismatch = %v", err)
	}
	for _, ok := range []*seccomp.Trace{{Action: "ALLOW", Reference: "ALLOW"}, {Action: "ALLOW"}} {
		if err := ok.Mismatch(); err != nil {
			t.Errorf("Mismatch(%+v) = %v", ok, err)
		}
	}
}
