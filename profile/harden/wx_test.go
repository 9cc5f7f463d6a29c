package harden_test

import (
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/seccomp"
)

// TestWX checks that WX denies memory writable and executable at once
// and nothing else, on every ABI Docker's profile covers, through the
// compiled filter and the profile's own Evaluate, for profiles whose
// default allows, whose rules allow unconditionally, and whose rules
// allow some protections only.
func TestWX(t *testing.T) {
	_, docker := dockerDefault(t)
	allowAll := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}, Arches: []arch.Arch{arch.X86, arch.X32}}
	// mprotect allowed for PROT_READ|PROT_EXEC and PROT_READ|PROT_WRITE|PROT_EXEC only.
	partial := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 38}, Rules: []profile.Rule{
		{Names: []string{"mprotect"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 2, Op: profile.OpMaskedEQ, Value: 2, ValueTwo: 0}}},
		{Names: []string{"mprotect"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 2, Op: profile.OpEQ, Value: 7}}},
		{Names: []string{"mmap", "read"}, Action: profile.Action{Kind: profile.ActAllow}},
	}}
	const enosys = "ERRNO(38)"
	cases := []struct {
		a      arch.Arch
		name   string
		args   []uint64
		before string // the profile's own verdict, where WX must not change it
		after  string
	}{
		{arch.X86_64, "mmap", []uint64{0, 4096, 7, 0x22}, allow, eperm},
		{arch.X86_64, "mmap", []uint64{0, 4096, 6, 0x22}, allow, eperm},
		{arch.X86_64, "mmap", []uint64{0, 4096, 0x100000006, 0x22}, allow, eperm},
		{arch.X86_64, "mmap", []uint64{0, 4096, 5, 0x22}, allow, allow},
		{arch.X86_64, "mmap", []uint64{0, 4096, 3, 0x22}, allow, allow},
		{arch.X86_64, "mprotect", []uint64{0, 4096, 7}, allow, eperm},
		{arch.X86_64, "mprotect", []uint64{0, 4096, 1}, allow, allow},
		{arch.X86_64, "pkey_mprotect", []uint64{0, 4096, 6, 0}, allow, eperm},
		{arch.X86_64, "shmat", []uint64{0, 0, 0o100000}, allow, eperm},
		{arch.X86_64, "shmat", []uint64{0, 0, 0o10000}, allow, allow}, // SHM_RDONLY
		{arch.X86, "mmap2", []uint64{0, 4096, 7, 0x22}, allow, eperm},
		{arch.X86, "mprotect", []uint64{0, 4096, 6}, allow, eperm},
		{arch.X86, "mprotect", []uint64{0, 4096, 4}, allow, allow},
		{arch.X86, "ipc", []uint64{21, 0, 0o100000}, allow, eperm},      // shmat with SHM_EXEC
		{arch.X86, "ipc", []uint64{0x10015, 0, 0o100000}, allow, eperm}, // the same, version 1
		{arch.X86, "ipc", []uint64{21, 0, 0}, allow, allow},             // shmat
		{arch.X86, "ipc", []uint64{1, 0, 0o100000}, allow, allow},       // semop
		{arch.X32, "mprotect", []uint64{0, 4096, 7}, allow, eperm},
	}
	for _, pc := range []struct {
		name string
		p    *profile.Profile
	}{{"docker-default", docker}, {"allow-all", allowAll}} {
		wx, _, err := harden.WX(pc.p, arch.X86_64)
		if err != nil {
			t.Fatalf("%s: %v", pc.name, err)
		}
		for _, c := range cases {
			checkVerdict(t, pc.name, pc.p, c.a, c.name, c.args, c.before)
			checkVerdict(t, pc.name+" --wx", wx, c.a, c.name, c.args, c.after)
		}
	}
	wx, _, err := harden.WX(partial, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name          string
		prot          uint64
		before, after string
	}{
		{"mprotect", 0, allow, allow}, {"mprotect", 1, allow, allow}, {"mprotect", 5, allow, allow},
		{"mprotect", 4, allow, allow}, {"mprotect", 7, allow, eperm}, {"mprotect", 3, enosys, enosys},
		{"mprotect", 6, enosys, eperm}, {"mmap", 7, allow, eperm}, {"mmap", 1, allow, allow},
	} {
		args := []uint64{0, 4096, c.prot}
		checkVerdict(t, "partial", partial, arch.X86_64, c.name, args, c.before)
		checkVerdict(t, "partial --wx", wx, arch.X86_64, c.name, args, c.after)
	}
}

// checkVerdict checks what p decides for the call, by Evaluate and by the
// compiled filter.
func checkVerdict(t *testing.T, pname string, p *profile.Profile, a arch.Arch, name string, args []uint64, want string) {
	t.Helper()
	d := seccomp.DataFor(a, proftest.Nr(t, a, name), args...)
	got, err := seccomp.Expect(p, arch.X86_64, seccomp.Options{}, d)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", pname, a, name, err)
	}
	if got.String() != want {
		t.Errorf("%s: %s %s(%#x) by Evaluate: %s, want %s", pname, a, name, args, got, want)
	}
	f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatalf("%s: %v", pname, err)
	}
	ret, _, err := f.Eval(a, d)
	if err != nil {
		t.Fatal(err)
	}
	if got := seccomp.ActionOf(ret).String(); got != want {
		t.Errorf("%s: %s %s(%#x) by the filter: %s, want %s", pname, a, name, args, got, want)
	}
}
