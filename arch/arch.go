package arch

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Arch is a Linux system-call ABI as seccomp sees it: the value of
// seccomp_data.arch together with the numbering of seccomp_data.nr. x32
// shares its audit value with x86_64 and differs only in the numbers (bit
// 30 set), so it is an Arch of its own.
type Arch uint8

// The architectures, in libseccomp's order of SCMP_ARCH_* tokens.
const (
	Invalid Arch = iota
	X86
	X86_64
	X32
	ARM
	AARCH64
	LOONGARCH64
	M68K
	MIPS
	MIPSEL
	MIPS64
	MIPSEL64
	MIPS64N32
	MIPSEL64N32
	PARISC
	PARISC64
	PPC
	PPC64
	PPC64LE
	RISCV64
	S390
	S390X
	SH
	SHEB
	numArch
)

// AUDIT_ARCH_* building blocks from <linux/audit.h> and <linux/elf-em.h>.
const (
	auditArch64Bit     = 0x80000000 // __AUDIT_ARCH_64BIT
	auditArchLE        = 0x40000000 // __AUDIT_ARCH_LE
	auditArchMIPS64N32 = 0x20000000 // __AUDIT_ARCH_CONVENTION_MIPS64_N32

	emSH        = 42
	em386       = 3
	emX86_64    = 62
	emARM       = 40
	emAARCH64   = 183
	emLOONGARCH = 258
	em68K       = 4
	emMIPS      = 8
	emPARISC    = 15
	emPPC       = 20
	emPPC64     = 21
	emRISCV     = 243
	emS390      = 22
)

// X32SyscallBit is __X32_SYSCALL_BIT: x32 system-call numbers carry it.
const X32SyscallBit = 0x40000000

// info is everything syscage knows about one architecture.
type info struct {
	name     string // libseccomp and LXC name, the canonical one
	scmp     string // SCMP_ARCH_* token, as OCI and Docker profiles spell it
	systemd  string // systemd's name (seccomp_arch_to_string), or "" if systemd has none
	audit    uint32 // AUDIT_ARCH_* value seen in seccomp_data.arch
	bits     int    // pointer and register width of the ABI as libseccomp sizes it
	big      bool   // big-endian
	compat   []Arch // ABIs a kernel of this arch may also run (Docker's archMap)
	aliases  []string
	column   string // column of data/syscalls.csv
	nrBase   uint32 // added to the raw numbers of the column
	socket   int32  // socketcall(2) number, or -1
	ipc      int32  // ipc(2) number, or -1
	privBase uint32 // start of the arch-private numbers above the main table (arm), or 0
}

var infos = [numArch]info{
	X86: {name: "x86", scmp: "SCMP_ARCH_X86", systemd: "x86", audit: em386 | auditArchLE, bits: 32,
		aliases: []string{"i386", "i486", "i586", "i686", "386", "ia32"}, column: "x86", socket: 102, ipc: 117},
	X86_64: {name: "x86_64", scmp: "SCMP_ARCH_X86_64", systemd: "x86-64", audit: emX86_64 | auditArch64Bit | auditArchLE, bits: 64,
		compat:  []Arch{X86, X32},
		aliases: []string{"x86-64", "amd64", "x64"}, column: "x86_64", socket: -1, ipc: -1},
	X32: {name: "x32", scmp: "SCMP_ARCH_X32", systemd: "x32", audit: emX86_64 | auditArch64Bit | auditArchLE, bits: 32,
		aliases: []string{"amd64p32", "x86_x32"}, column: "x32", nrBase: X32SyscallBit, socket: -1, ipc: -1},
	ARM: {name: "arm", scmp: "SCMP_ARCH_ARM", systemd: "arm", audit: emARM | auditArchLE, bits: 32,
		aliases: []string{"armhf", "armel", "armv7l", "armv7", "armv6l", "armv5tel", "armv8l"}, column: "arm",
		socket: -1, ipc: -1, privBase: 0x0f0000},
	AARCH64: {name: "aarch64", scmp: "SCMP_ARCH_AARCH64", systemd: "arm64", audit: emAARCH64 | auditArch64Bit | auditArchLE, bits: 64,
		compat:  []Arch{ARM},
		aliases: []string{"arm64", "armv8"}, column: "aarch64", socket: -1, ipc: -1},
	LOONGARCH64: {name: "loongarch64", scmp: "SCMP_ARCH_LOONGARCH64", systemd: "loongarch64", audit: emLOONGARCH | auditArch64Bit | auditArchLE, bits: 64,
		aliases: []string{"loong64"}, column: "loongarch64", socket: -1, ipc: -1},
	M68K: {name: "m68k", scmp: "SCMP_ARCH_M68K", audit: em68K, bits: 32, big: true,
		column: "m68k", socket: 102, ipc: 117},
	MIPS: {name: "mips", scmp: "SCMP_ARCH_MIPS", systemd: "mips", audit: emMIPS, bits: 32, big: true,
		aliases: []string{"mipso32"}, column: "mips", nrBase: 4000, socket: 4000 + 102, ipc: 4000 + 117},
	MIPSEL: {name: "mipsel", scmp: "SCMP_ARCH_MIPSEL", systemd: "mips-le", audit: emMIPS | auditArchLE, bits: 32,
		aliases: []string{"mipsle", "mips-le"}, column: "mips", nrBase: 4000, socket: 4000 + 102, ipc: 4000 + 117},
	MIPS64: {name: "mips64", scmp: "SCMP_ARCH_MIPS64", systemd: "mips64", audit: emMIPS | auditArch64Bit, bits: 64, big: true,
		compat: []Arch{MIPS64N32, MIPS}, column: "mips64", nrBase: 5000, socket: -1, ipc: -1},
	MIPSEL64: {name: "mipsel64", scmp: "SCMP_ARCH_MIPSEL64", systemd: "mips64-le", audit: emMIPS | auditArch64Bit | auditArchLE, bits: 64,
		compat:  []Arch{MIPSEL64N32, MIPSEL},
		aliases: []string{"mips64el", "mips64le", "mips64-le"}, column: "mips64", nrBase: 5000, socket: -1, ipc: -1},
	MIPS64N32: {name: "mips64n32", scmp: "SCMP_ARCH_MIPS64N32", systemd: "mips64-n32", audit: emMIPS | auditArch64Bit | auditArchMIPS64N32, bits: 32, big: true,
		aliases: []string{"mips64-n32"}, column: "mips64n32", nrBase: 6000, socket: -1, ipc: -1},
	MIPSEL64N32: {name: "mipsel64n32", scmp: "SCMP_ARCH_MIPSEL64N32", systemd: "mips64-le-n32", audit: emMIPS | auditArch64Bit | auditArchLE | auditArchMIPS64N32, bits: 32,
		aliases: []string{"mips64eln32", "mips64-le-n32", "mips64n32el"}, column: "mips64n32", nrBase: 6000, socket: -1, ipc: -1},
	PARISC: {name: "parisc", scmp: "SCMP_ARCH_PARISC", systemd: "parisc", audit: emPARISC, bits: 32, big: true,
		aliases: []string{"hppa"}, column: "parisc", socket: -1, ipc: -1},
	PARISC64: {name: "parisc64", scmp: "SCMP_ARCH_PARISC64", systemd: "parisc64", audit: emPARISC | auditArch64Bit, bits: 64, big: true,
		compat:  []Arch{PARISC},
		aliases: []string{"hppa64"}, column: "parisc64", socket: -1, ipc: -1},
	PPC: {name: "ppc", scmp: "SCMP_ARCH_PPC", systemd: "ppc", audit: emPPC, bits: 32, big: true,
		aliases: []string{"powerpc"}, column: "ppc", socket: 102, ipc: 117},
	PPC64: {name: "ppc64", scmp: "SCMP_ARCH_PPC64", systemd: "ppc64", audit: emPPC64 | auditArch64Bit, bits: 64, big: true,
		compat:  []Arch{PPC},
		aliases: []string{"powerpc64"}, column: "ppc64", socket: 102, ipc: 117},
	PPC64LE: {name: "ppc64le", scmp: "SCMP_ARCH_PPC64LE", systemd: "ppc64-le", audit: emPPC64 | auditArch64Bit | auditArchLE, bits: 64,
		aliases: []string{"ppc64el", "ppc64-le", "powerpc64le"}, column: "ppc64", socket: 102, ipc: 117},
	RISCV64: {name: "riscv64", scmp: "SCMP_ARCH_RISCV64", systemd: "riscv64", audit: emRISCV | auditArch64Bit | auditArchLE, bits: 64,
		column: "riscv64", socket: -1, ipc: -1},
	S390: {name: "s390", scmp: "SCMP_ARCH_S390", systemd: "s390", audit: emS390, bits: 32, big: true,
		column: "s390", socket: 102, ipc: 117},
	S390X: {name: "s390x", scmp: "SCMP_ARCH_S390X", systemd: "s390x", audit: emS390 | auditArch64Bit, bits: 64, big: true,
		compat: []Arch{S390}, column: "s390x", socket: 102, ipc: 117},
	SH: {name: "sh", scmp: "SCMP_ARCH_SH", audit: emSH | auditArchLE, bits: 32,
		aliases: []string{"shel", "sh4", "sh3", "sh4le"}, column: "sh", socket: 102, ipc: 117},
	SHEB: {name: "sheb", scmp: "SCMP_ARCH_SHEB", audit: emSH, bits: 32, big: true,
		aliases: []string{"sh4eb", "sh3eb"}, column: "sh", socket: 102, ipc: 117},
}

// All returns every architecture in a fixed order.
func All() []Arch {
	out := make([]Arch, 0, numArch-1)
	for a := X86; a < numArch; a++ {
		out = append(out, a)
	}
	return out
}

func (a Arch) valid() bool { return a > Invalid && a < numArch }

func (a Arch) info() *info {
	if !a.valid() {
		panic(fmt.Sprintf("arch: invalid Arch %d", uint8(a)))
	}
	return &infos[a]
}

// String returns the canonical (libseccomp) name, such as "x86_64".
func (a Arch) String() string {
	if !a.valid() {
		return fmt.Sprintf("Arch(%d)", uint8(a))
	}
	return infos[a].name
}

// SCMP returns the SCMP_ARCH_* token used by OCI and Docker profiles.
func (a Arch) SCMP() string { return a.info().scmp }

// Systemd returns the name systemd gives the ABI (seccomp_arch_to_string
// of src/shared/seccomp-util.c, as SystemCallArchitectures= spells it), or
// "" for an ABI systemd does not know.
func (a Arch) Systemd() string { return a.info().systemd }

// Audit returns the AUDIT_ARCH_* value the kernel puts in seccomp_data.arch.
func (a Arch) Audit() uint32 { return a.info().audit }

// Bits returns the ABI's word size as libseccomp sizes it: 32 for the
// 32-bit ABIs including x32 and mips n32, whose argument comparisons look
// at the low 32 bits only.
func (a Arch) Bits() int { return a.info().bits }

// BigEndian reports whether the ABI is big-endian.
func (a Arch) BigEndian() bool { return a.info().big }

// ByteOrder returns the byte order in which the kernel stores
// seccomp_data for this ABI.
func (a Arch) ByteOrder() binary.ByteOrder {
	if a.info().big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Compat returns the other ABIs a kernel of this architecture can run
// (x86_64: x86 and x32), as Docker's archMap lists them.
func (a Arch) Compat() []Arch { return append([]Arch(nil), a.info().compat...) }

// Socketcall returns the number of socketcall(2) on ABIs that multiplex the
// socket calls through it.
func (a Arch) Socketcall() (uint32, bool) {
	n := a.info().socket
	return uint32(n), n >= 0
}

// IPC returns the number of ipc(2) on ABIs that multiplex System V IPC
// through it.
func (a Arch) IPC() (uint32, bool) {
	n := a.info().ipc
	return uint32(n), n >= 0
}

// Spellings returns every name Parse accepts for a, canonical first. The
// audit hex token (for example "c000003e") is accepted too but is not
// listed, since x86_64 and x32 share it.
func (a Arch) Spellings() []string {
	in := a.info()
	s := []string{in.name, in.scmp}
	s = append(s, in.aliases...)
	return dedupe(s)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// FromAudit returns the architecture whose AUDIT_ARCH_* value is v. x86_64
// and x32 share a value; FromAudit returns X86_64, and FromAuditNr tells
// them apart.
func FromAudit(v uint32) (Arch, bool) {
	for _, a := range All() {
		if a != X32 && infos[a].audit == v {
			return a, true
		}
	}
	return Invalid, false
}

// FromAuditNr returns the ABI of a system call given seccomp_data.arch and
// seccomp_data.nr, telling x32 from x86_64 by the x32 bit.
func FromAuditNr(audit, nr uint32) (Arch, bool) {
	a, ok := FromAudit(audit)
	if ok && a == X86_64 && nr&X32SyscallBit != 0 {
		return X32, true
	}
	return a, ok
}

// UnknownError reports a name that is not an architecture.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown architecture %q; valid names are:", e.Name)
	for _, a := range All() {
		fmt.Fprintf(&b, "\n  %-12s %s", a, strings.Join(a.Spellings()[1:], ", "))
	}
	return b.String()
}

// Join joins the names of as with sep, such as "x86_64+x86".
func Join(as []Arch, sep string) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, sep)
}

// Parse returns the architecture named s in any spelling in use:
// libseccomp and LXC names ("x86_64"), SCMP_ARCH_* tokens, Go GOARCH and
// Debian names ("amd64", "arm64", "ppc64el"), systemd names ("x86-64",
// "mips64-le-n32"), uname machine names ("i686", "armv7l"), seccomp-tools
// names ("amd64", "i386") and the audit hex token ("c000003e", with or
// without 0x). Case does not matter. "native" is not resolved here; see
// Native.
func Parse(s string) (Arch, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	if a, ok := byName[key]; ok {
		return a, nil
	}
	hex := strings.TrimPrefix(key, "0x")
	if len(hex) == 8 {
		var v uint32
		if _, err := fmt.Sscanf(hex, "%08x", &v); err == nil {
			if a, ok := FromAudit(v); ok {
				return a, nil
			}
		}
	}
	return Invalid, &UnknownError{Name: s}
}

var byName = func() map[string]Arch {
	m := map[string]Arch{}
	for _, a := range All() {
		for _, s := range a.Spellings() {
			k := strings.ToLower(s)
			if prev, dup := m[k]; dup && prev != a {
				panic("arch: spelling " + s + " names two architectures")
			}
			m[k] = a
		}
	}
	return m
}()

// GOARCH returns the architecture of a Go GOARCH value, the ABI a Go
// program built for it uses.
func GOARCH(goarch string) (Arch, bool) {
	a, ok := goarchs[goarch]
	return a, ok
}

var goarchs = map[string]Arch{
	"386": X86, "amd64": X86_64, "arm": ARM, "arm64": AARCH64, "loong64": LOONGARCH64,
	"mips": MIPS, "mipsle": MIPSEL, "mips64": MIPS64, "mips64le": MIPSEL64,
	"ppc64": PPC64, "ppc64le": PPC64LE, "riscv64": RISCV64, "s390x": S390X,
}
