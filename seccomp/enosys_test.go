package seccomp_test

import (
	"fmt"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

var (
	allow  = profile.Action{Kind: profile.ActAllow}
	eperm  = profile.Action{Kind: profile.ActErrno, Data: 1}
	enosys = profile.Action{Kind: profile.ActErrno, Data: seccomp.ENOSYS}
)

// verdict runs f on system call nr of abi in the VM.
func verdict(t *testing.T, f *seccomp.Filter, abi arch.Arch, nr uint32) profile.Action {
	t.Helper()
	ret, _, err := f.Eval(abi, seccomp.DataFor(abi, nr))
	if err != nil {
		t.Fatalf("eval %s %#x: %v", abi, nr, err)
	}
	return seccomp.ActionOf(ret)
}

// beyond are numbers above every table: arm's private calls and the
// numbers around the x32 bit and at the top.
func beyond(a arch.Arch) []uint32 {
	m := a.MaxSyscall()
	return []uint32{m + 1, m + 2, 0xf0000, 0xf0001, 0xf0002, 0xf0003, 0xf0004, 0xf0005, 0xf0006,
		0x3fffffff, 0x40000000 | a.MinSyscall(), 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff}
}

// TestENOSYSNotUnderAllow: runc adds no ENOSYS stub when the default
// action is ALLOW, LOG or TRACE, so that every system call the profile
// does not name reaches the kernel: arm's set_tls, cacheflush and the
// other private calls above the main table among them (glibc sets its
// TLS with set_tls).
func TestENOSYSNotUnderAllow(t *testing.T) {
	for _, def := range []profile.Action{allow, {Kind: profile.ActLog}, {Kind: profile.ActTrace, Data: 1}} {
		for _, a := range arch.All() {
			t.Run(fmt.Sprintf("%s/%s", def, a), func(t *testing.T) {
				named := a.Syscalls()[len(a.Syscalls())/2]
				p := &profile.Profile{Default: def, Rules: []profile.Rule{{Names: []string{named.Name}, Action: eperm}}}
				f, err := seccomp.Compile(p, a, seccomp.Options{})
				if err != nil {
					t.Fatal(err)
				}
				nrs := beyond(a)
				for _, s := range a.Syscalls() {
					nrs = append(nrs, s.Nr)
				}
				for _, nr := range nrs {
					got := verdict(t, f, a, nr)
					if got == enosys {
						t.Errorf("%s %#x: ENOSYS under default %s; runc adds no stub", a, nr, def)
					}
				}
				if a == arch.ARM {
					for _, n := range []string{"set_tls", "cacheflush", "breakpoint", "usr26", "usr32"} {
						nr, _ := a.SyscallNumber(n)
						if got := verdict(t, f, a, nr); got != def {
							t.Errorf("arm %s (%#x): %s, want the default %s", n, nr, got, def)
						}
					}
				}
			})
		}
	}
}

// TestENOSYSAboveNamed: under other defaults runc's stub answers ENOSYS
// for numbers above the largest one the profile names on the ABI (not the
// top of the table), on s390 and s390x also for 0, and under
// AUDIT_ARCH_X86_64 it tells x32 from x86_64 by bit 30.
func TestENOSYSAboveNamed(t *testing.T) {
	for _, a := range arch.All() {
		t.Run(a.String(), func(t *testing.T) {
			table := a.Syscalls()
			named := table[len(table)/2]
			p := &profile.Profile{Default: eperm, Rules: []profile.Rule{{Names: []string{named.Name}, Action: allow}}}
			f, err := seccomp.Compile(p, a, seccomp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range table {
				want := eperm
				switch {
				case s.Nr == named.Nr:
					want = allow
				case s.Nr > named.Nr, s.Nr == 0 && (a == arch.S390 || a == arch.S390X):
					want = enosys
				}
				if got := verdict(t, f, a, s.Nr); got != want {
					t.Errorf("%s %s (%#x), profile naming only %s (%#x): %s, want %s", a, s.Name, s.Nr, named.Name, named.Nr, got, want)
				}
			}
		})
	}
	t.Run("arm-private", func(t *testing.T) {
		// Naming set_tls lifts the ceiling above the other private calls.
		p := &profile.Profile{Default: eperm, Rules: []profile.Rule{{Names: []string{"read", "set_tls"}, Action: allow}}}
		f, err := seccomp.Compile(p, arch.ARM, seccomp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for nr, want := range map[uint32]profile.Action{
			arch.ARM.MaxSyscall() + 1: eperm, 0xf0001: eperm, 0xf0002: eperm, 0xf0005: allow, 0xf0006: enosys, 0xffffffff: enosys,
		} {
			if got := verdict(t, f, arch.ARM, nr); got != want {
				t.Errorf("arm %#x: %s, want %s", nr, got, want)
			}
		}
	})
	t.Run("x86_64-bit30", func(t *testing.T) {
		p := &profile.Profile{Default: eperm, Rules: []profile.Rule{{Names: []string{"getpid"}, Action: allow}}}
		kill := profile.DefaultBadArch
		cases := []struct {
			arches []arch.Arch
			nr     uint32
			want   profile.Action
		}{
			{nil, 39, allow}, {nil, 40, enosys}, {nil, 38, eperm},
			{nil, 0x40000000, kill}, {nil, 0x80000000, enosys}, {nil, 0xc0000000, kill}, {nil, 0xffffffff, eperm},
			{[]arch.Arch{arch.X32}, 0x40000000 | 39, allow}, {[]arch.Arch{arch.X32}, 0x40000000 | 40, enosys},
			{[]arch.Arch{arch.X32}, 0x80000000, enosys}, {[]arch.Arch{arch.X32}, 0xffffffff, enosys},
		}
		for _, c := range cases {
			q := p.Clone()
			q.Arches = c.arches
			f, err := seccomp.Compile(q, arch.X86_64, seccomp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := verdict(t, f, arch.X86_64, c.nr); got != c.want {
				t.Errorf("x86_64 with %v, %#x: %s, want %s", c.arches, c.nr, got, c.want)
			}
		}
		// x32 alone: numbers without bit 30 go to the filter (bad arch),
		// numbers with it above x32's getpid get ENOSYS.
		f, err := seccomp.Compile(p, arch.X32, seccomp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for nr, want := range map[uint32]profile.Action{39: kill, 0x40000000 | 39: allow, 0x40000000 | 40: enosys, 0x80000000: eperm, 0xffffffff: enosys} {
			if got := verdict(t, f, arch.X32, nr); got != want {
				t.Errorf("x32 %#x: %s, want %s", nr, got, want)
			}
		}
	})
	t.Run("no-name-above-0", func(t *testing.T) {
		// read is 0 on x86_64: runc finds no largest number and adds no stub.
		p := &profile.Profile{Default: eperm, Rules: []profile.Rule{{Names: []string{"read"}, Action: allow}}}
		f, err := seccomp.Compile(p, arch.X86_64, seccomp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for nr, want := range map[uint32]profile.Action{1: eperm, 500: eperm, 0x3fffffff: eperm, 0x80000000: profile.DefaultBadArch} {
			if got := verdict(t, f, arch.X86_64, nr); got != want {
				t.Errorf("x86_64 %#x: %s, want %s", nr, got, want)
			}
		}
	})
}
