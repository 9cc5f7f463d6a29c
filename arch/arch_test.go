package arch_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
)

func TestParseSpellings(t *testing.T) {
	tests := []struct {
		in   string
		want arch.Arch
	}{
		{"x86_64", arch.X86_64}, {"SCMP_ARCH_X86_64", arch.X86_64}, {"amd64", arch.X86_64},
		{"x86-64", arch.X86_64}, {"c000003e", arch.X86_64}, {"0xC000003E", arch.X86_64},
		{"i386", arch.X86}, {"i686", arch.X86}, {"386", arch.X86}, {"40000003", arch.X86},
		{"x32", arch.X32}, {"SCMP_ARCH_X32", arch.X32},
		{"arm64", arch.AARCH64}, {"aarch64", arch.AARCH64}, {"c00000b7", arch.AARCH64},
		{"armhf", arch.ARM}, {"armv7l", arch.ARM},
		{"ppc64el", arch.PPC64LE}, {"ppc64-le", arch.PPC64LE}, {"ppc64", arch.PPC64},
		{"mips64el", arch.MIPSEL64}, {"mips64-le", arch.MIPSEL64}, {"mips64-n32", arch.MIPS64N32},
		{"mips64-le-n32", arch.MIPSEL64N32}, {"mips-le", arch.MIPSEL}, {"loong64", arch.LOONGARCH64},
		{"s390x", arch.S390X}, {"80000016", arch.S390X}, {"sh", arch.SH}, {"sheb", arch.SHEB},
		{"hppa", arch.PARISC}, {"parisc64", arch.PARISC64}, {"m68k", arch.M68K}, {"riscv64", arch.RISCV64},
	}
	for _, tt := range tests {
		got, err := arch.Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, a := range arch.All() {
		for _, s := range a.Spellings() {
			if got, err := arch.Parse(s); err != nil || got != a {
				t.Errorf("Parse(%q) = %v, %v; want %v (its own spelling)", s, got, err, a)
			}
		}
	}
}

func TestParseUnknown(t *testing.T) {
	_, err := arch.Parse("vax")
	var ue *arch.UnknownError
	if !errors.As(err, &ue) || ue.Name != "vax" {
		t.Fatalf("Parse(vax) = %v, want *UnknownError", err)
	}
	for _, a := range arch.All() {
		if !strings.Contains(err.Error(), a.String()) {
			t.Errorf("error does not list %s: %v", a, err)
		}
	}
}

func TestAuditValues(t *testing.T) {
	want := map[arch.Arch]uint32{
		arch.X86_64: 0xc000003e, arch.X86: 0x40000003, arch.X32: 0xc000003e, arch.AARCH64: 0xc00000b7,
		arch.ARM: 0x40000028, arch.RISCV64: 0xc00000f3, arch.PPC64LE: 0xc0000015, arch.PPC64: 0x80000015,
		arch.PPC: 0x14, arch.S390X: 0x80000016, arch.S390: 0x16, arch.MIPS: 0x8, arch.MIPSEL: 0x40000008,
		arch.MIPS64: 0x80000008, arch.MIPSEL64: 0xc0000008, arch.MIPS64N32: 0xa0000008,
		arch.MIPSEL64N32: 0xe0000008, arch.LOONGARCH64: 0xc0000102, arch.PARISC: 0xf,
		arch.PARISC64: 0x8000000f, arch.M68K: 0x4, arch.SH: 0x4000002a, arch.SHEB: 0x2a,
	}
	if len(want) != len(arch.All()) {
		t.Fatalf("test covers %d ABIs, arch knows %d", len(want), len(arch.All()))
	}
	for a, v := range want {
		if a.Audit() != v {
			t.Errorf("%s audit = %#x, want %#x", a, a.Audit(), v)
		}
		big := v&0x40000000 == 0
		if a.BigEndian() != big {
			t.Errorf("%s big-endian = %v, want %v", a, a.BigEndian(), big)
		}
	}
	if a, _ := arch.FromAuditNr(0xc000003e, 0x40000001); a != arch.X32 {
		t.Errorf("x32 number on AUDIT_ARCH_X86_64 = %v, want x32", a)
	}
	if a, _ := arch.FromAuditNr(0xc000003e, 1); a != arch.X86_64 {
		t.Errorf("x86_64 number = %v", a)
	}
}

func TestSyscalls(t *testing.T) {
	tests := []struct {
		a    arch.Arch
		name string
		nr   uint32
	}{
		{arch.X86_64, "execve", 59}, {arch.AARCH64, "close", 57}, {arch.X86, "execve", 11},
		{arch.X32, "read", 0x40000000}, {arch.X32, "execve", 0x40000208},
		{arch.MIPS64, "read", 5000}, {arch.MIPS, "read", 4003}, {arch.MIPSEL64N32, "read", 6000},
		{arch.X86, "socket", 359}, {arch.X86, "socketcall", 102}, {arch.ARM, "breakpoint", 0xf0001},
		// The newest system calls.
		{arch.X86_64, "mseal", 462}, {arch.X86_64, "listmount", 458}, {arch.X86_64, "statmount", 457},
		{arch.X86_64, "lsm_get_self_attr", 459}, {arch.X86_64, "lsm_set_self_attr", 460},
		{arch.X86_64, "lsm_list_modules", 461}, {arch.X86_64, "cachestat", 451},
		{arch.X86_64, "fchmodat2", 452}, {arch.X86_64, "map_shadow_stack", 453},
		{arch.X86_64, "futex_waitv", 449}, {arch.X86_64, "setxattrat", 463},
		{arch.AARCH64, "setxattrat", 463}, {arch.RISCV64, "mseal", 462},
	}
	for _, tt := range tests {
		nr, ok := tt.a.SyscallNumber(tt.name)
		if !ok || nr != tt.nr {
			t.Errorf("%s %s = %d, %v; want %d", tt.a, tt.name, nr, ok, tt.nr)
		}
		if name, ok := tt.a.SyscallName(tt.nr); !ok || name != tt.name {
			t.Errorf("%s %d = %q, %v; want %q", tt.a, tt.nr, name, ok, tt.name)
		}
	}
	// Absent names are absent, never guessed from another ABI.
	absent := []struct {
		a    arch.Arch
		name string
	}{
		{arch.AARCH64, "open"}, {arch.AARCH64, "fork"}, {arch.X86_64, "socketcall"},
		{arch.X86_64, "mmap2"}, {arch.X86, "arch_prctl_bogus"}, {arch.RISCV64, "renameat"},
		{arch.X86, "semop"},
	}
	for _, tt := range absent {
		if nr, ok := tt.a.SyscallNumber(tt.name); ok {
			t.Errorf("%s %s = %d, want absent", tt.a, tt.name, nr)
		}
	}
	for _, a := range arch.All() {
		seen := map[uint32]string{}
		for _, s := range a.Syscalls() {
			if prev, dup := seen[s.Nr]; dup && prev != s.Name {
				t.Errorf("%s: %d is both %s and %s", a, s.Nr, prev, s.Name)
			}
			seen[s.Nr] = s.Name
			if a == arch.X32 && s.Nr&arch.X32SyscallBit == 0 {
				t.Errorf("x32 %s = %#x lacks the x32 bit", s.Name, s.Nr)
			}
		}
		if len(seen) < 300 {
			t.Errorf("%s: only %d system calls", a, len(seen))
		}
	}
}

func TestMultiplexed(t *testing.T) {
	tests := []struct {
		a          arch.Arch
		name, mux  string
		nr, call   uint32
		multiplexd bool
	}{
		{arch.X86, "socket", "socketcall", 102, 1, true},
		{arch.X86, "sendmmsg", "socketcall", 102, 20, true},
		{arch.X86, "semop", "ipc", 117, 1, true},
		{arch.X86, "shmctl", "ipc", 117, 24, true},
		{arch.S390X, "recv", "socketcall", 102, 10, true},
		{arch.S390, "msgget", "ipc", 117, 13, true},
		{arch.MIPS, "socket", "socketcall", 4102, 1, true},
		{arch.X86_64, "socket", "", 0, 0, false},
		{arch.AARCH64, "semop", "", 0, 0, false},
	}
	for _, tt := range tests {
		m, ok := tt.a.Multiplexed(tt.name)
		if ok != tt.multiplexd || (ok && (m.Syscall != tt.mux || m.Nr != tt.nr || m.Call != tt.call)) {
			t.Errorf("%s %s: got %+v, %v", tt.a, tt.name, m, ok)
		}
		if ok {
			if n, _ := arch.SubcallName(tt.mux, tt.call); n != tt.name {
				t.Errorf("SubcallName(%s, %d) = %q, want %q", tt.mux, tt.call, n, tt.name)
			}
		}
	}
}

func TestParseNumber(t *testing.T) {
	good := map[string]uint32{"0": 0, "59": 59, "0x3b": 59, "0X3B": 59, "4294967295": 0xffffffff, "0xffffffff": 0xffffffff}
	for s, want := range good {
		if got, err := arch.ParseNumber(s); err != nil || got != want {
			t.Errorf("ParseNumber(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "+1", "0x", "4294967296", "0x100000000", "12a", " 1", "read", "1_0"} {
		if _, err := arch.ParseNumber(s); err == nil {
			t.Errorf("ParseNumber(%q) succeeded", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, a := range arch.All() {
		for _, s := range a.Spellings() {
			f.Add(s)
		}
	}
	f.Add("c000003e")
	f.Add("0xC00000B7")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := arch.Parse(s)
		if (err == nil) == (a == arch.Invalid) {
			t.Fatalf("Parse(%q) = %v, %v: want exactly one of an arch and an error", s, a, err)
		}
		if err == nil {
			// Whatever parsed, its canonical name parses to it again.
			if b, err := arch.Parse(a.String()); err != nil || b != a {
				t.Fatalf("round trip of %q: %v -> %v, %v", s, a, b, err)
			}
		}
	})
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "59", "0x3b", "4294967295", "-1", "0x", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := arch.ParseNumber(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("ParseNumber(%q) = %d with error %v", s, n, err)
			}
			return
		}
		// A parsed number resolves consistently on every ABI.
		for _, a := range []arch.Arch{arch.X86_64, arch.X32, arch.AARCH64, arch.MIPS64} {
			name, nr, ok := a.Resolve(s)
			if nr != n {
				t.Fatalf("%s Resolve(%q) number %d, want %d", a, s, nr, n)
			}
			if ok {
				if back, ok2 := a.SyscallNumber(name); !ok2 || back != n {
					t.Fatalf("%s %q -> %s -> %d, %v", a, s, name, back, ok2)
				}
			}
		}
	})
}

func TestSyscallsBetween(t *testing.T) {
	for _, a := range arch.All() {
		all := a.Syscalls()
		if len(all) == 0 {
			continue
		}
		if got := a.MinSyscall(); got != all[0].Nr {
			t.Errorf("%s: MinSyscall = %d, want %d", a, got, all[0].Nr)
		}
		lo, hi := all[len(all)/3].Nr, all[2*len(all)/3].Nr
		var want []arch.Syscall
		for _, s := range all {
			if s.Nr >= lo && s.Nr <= hi {
				want = append(want, s)
			}
		}
		got := slices.Collect(a.SyscallsBetween(lo, hi))
		if !slices.Equal(got, want) {
			t.Errorf("%s: SyscallsBetween(%d, %d) = %d entries, want %d", a, lo, hi, len(got), len(want))
		}
		if n := len(slices.Collect(a.SyscallsBetween(0, ^uint32(0)))); n != len(all) {
			t.Errorf("%s: SyscallsBetween(0, max) = %d entries, want %d", a, n, len(all))
		}
	}
}

func TestJoin(t *testing.T) {
	for _, c := range []struct {
		as   []arch.Arch
		sep  string
		want string
	}{
		{nil, "+", ""},
		{[]arch.Arch{arch.AARCH64}, "+", "aarch64"},
		{[]arch.Arch{arch.X86_64, arch.X86, arch.X32}, "+", "x86_64+x86+x32"},
		{[]arch.Arch{arch.X86, arch.X32}, " and ", "x86 and x32"},
	} {
		if got := arch.Join(c.as, c.sep); got != c.want {
			t.Errorf("Join(%v, %q) = %q, want %q", c.as, c.sep, got, c.want)
		}
	}
}
