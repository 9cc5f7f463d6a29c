package harden_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/seccomp"
)

const (
	allow  = "ALLOW"
	eperm  = "ERRNO(1)"
	eacces = "ERRNO(13)"
)

// dockerCases are calls with what Docker's default profile (plain) and
// its hardened form (hard) decide, on x86_64 with x86 and x32.
var dockerCases = []struct {
	a           arch.Arch
	name        string
	args        []uint64
	plain, hard string
}{
	{arch.X86_64, "socket", []uint64{40, 1}, eperm, eperm},                   // AF_VSOCK
	{arch.X86_64, "socket", []uint64{0x100000028, 1}, allow, eperm},          // AF_VSOCK with a high bit
	{arch.X86_64, "socket", []uint64{0xffffffff00000026, 1}, allow, eperm},   // AF_ALG
	{arch.X86_64, "socket", []uint64{2, 1}, allow, allow},                    // AF_INET
	{arch.X86_64, "socket", []uint64{0x100000002, 1}, allow, allow},          // the kernel sees AF_INET
	{arch.X86, "socketcall", []uint64{1, 0x1000}, allow, eacces},             // socket(), arguments unseen
	{arch.X86, "socketcall", []uint64{3, 0x1000}, allow, allow},              // connect()
	{arch.X86, "ipc", []uint64{0x10001}, allow, allow},                       // semop, version 1
	{arch.X86_64, "ioctl", []uint64{0, 0x5412}, allow, eperm},                // TIOCSTI
	{arch.X86_64, "ioctl", []uint64{0, 0x100005412}, allow, eperm},           // TIOCSTI with a high bit
	{arch.X86_64, "ioctl", []uint64{0, 0x541c}, allow, eperm},                // TIOCLINUX
	{arch.X86_64, "ioctl", []uint64{0, 0x541d}, allow, eperm},                // TIOCCONS
	{arch.X86_64, "ioctl", []uint64{0, 0xffffffff0000541d}, allow, eperm},    // TIOCCONS with high bits
	{arch.X86, "ioctl", []uint64{0, 0x5412}, allow, eperm},                   // TIOCSTI on x86
	{arch.X86, "ioctl", []uint64{0, 0x541d}, allow, eperm},                   // TIOCCONS on x86
	{arch.X86_64, "ioctl", []uint64{0, 0x5401}, allow, allow},                // TCGETS
	{arch.X86_64, "personality", []uint64{0x100000000}, eperm, allow},        // PER_LINUX as the kernel sees it
	{arch.X86_64, "personality", []uint64{0x100400000}, eperm, eperm},        // READ_IMPLIES_EXEC
	{arch.X86_64, "personality", []uint64{0xffffffffffffffff}, eperm, allow}, // the query 0xffffffff
}

// dockerDefault returns Docker's default profile resolved for x86_64 with
// Docker's capabilities, and its hardened form.
func dockerDefault(t *testing.T) (plain, hard *profile.Profile) {
	t.Helper()
	p := proftest.DockerDefault(arch.X86_64)
	h, _, err := harden.Profile(p, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	return p, h
}

// TestDockerDefault checks the three holes of Docker's default profile
// on x86_64 (with x86 and x32, as its archMap gives them), before and
// after hardening, through the compiled filter.
func TestDockerDefault(t *testing.T) {
	p, h := dockerDefault(t)
	plain, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hard, err := seccomp.Compile(h, arch.X86_64, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range dockerCases {
		nr, ok := c.a.SyscallNumber(c.name)
		if !ok {
			t.Fatalf("%s has no %s", c.a, c.name)
		}
		d := seccomp.DataFor(c.a, nr, c.args...)
		for _, f := range []struct {
			name string
			f    *seccomp.Filter
			want string
		}{{"docker-default", plain, c.plain}, {"hardened", hard, c.hard}} {
			ret, _, err := f.f.Eval(c.a, d)
			if err != nil {
				t.Fatal(err)
			}
			if got := seccomp.ActionOf(ret).String(); got != f.want {
				t.Errorf("%s: %s %s(%#x): %s, want %s", f.name, c.a, c.name, c.args, got, f.want)
			}
		}
	}
}

// TestUID16 checks the 16-bit ids of x86's setuid (setuid16): a rule
// that denies setuid(0) also denies setuid(0x10000), which that kernel
// runs as setuid(0); with x86_64 covered too, whose setuid takes 32 bits,
// no single comparison fits both and hardening refuses the profile.
func TestUID16(t *testing.T) {
	deny := profile.Rule{Names: []string{"setuid"}, Action: profile.Action{Kind: profile.ActErrno, Data: 1},
		Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 0}}}
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}, Rules: []profile.Rule{deny}}
	h, _, err := harden.Profile(p, arch.X86)
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := arch.X86.SyscallNumber("setuid")
	for _, c := range []struct {
		p    *profile.Profile
		uid  uint64
		want string
	}{{p, 0, eperm}, {p, 0x10000, allow}, {h, 0, eperm}, {h, 0x10000, eperm}, {h, 1000, allow}} {
		got, err := seccomp.Expect(c.p, arch.X86, seccomp.Options{}, seccomp.DataFor(arch.X86, nr, c.uid))
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != c.want {
			t.Errorf("setuid(%#x): %s, want %s", c.uid, got, c.want)
		}
	}
	p.Arches = []arch.Arch{arch.X86}
	if _, _, err := harden.Profile(p, arch.X86_64); !errors.Is(err, harden.ErrWidth) {
		t.Errorf("x86_64 with x86: %v, want ErrWidth", err)
	}
}

// TestUID16InGroup: a rule that names setresgid beside a call whose
// argument is as wide on every ABI (semget's nsems) is refused as
// TestUID16's rule is: the names are told apart by the narrowest width
// of the argument too, not only by the widest, which both share.
func TestUID16InGroup(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}, Arches: []arch.Arch{arch.X86},
		Rules: []profile.Rule{{Names: []string{"semget", "setresgid"}, Action: profile.Action{Kind: profile.ActTrap},
			Conds: []profile.Cond{{Arg: 1, Op: profile.OpEQ, Value: 0xbc4e48a2}}}}}
	if _, _, err := harden.Profile(p, arch.X86_64); !errors.Is(err, harden.ErrWidth) || !strings.Contains(err.Error(), "16 bits on x86") {
		t.Errorf("semget and setresgid on x86_64 with x86: %v, want ErrWidth for setresgid's 16 bits on x86", err)
	}
}
