//go:build libseccomp && cgo

package libseccomp_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/libseccomp"
	"github.com/syscage/syscage/profile"
)

// run evaluates prog on one system call of abi and returns SECCOMP_RET_*.
func run(t *testing.T, prog bpf.Program, abi arch.Arch, nr uint32, args ...uint64) uint32 {
	t.Helper()
	d := bpf.SeccompData{Nr: int32(nr), Arch: abi.Audit()}
	copy(d.Args[:], args)
	ret, _, err := bpf.NewVM(abi.ByteOrder()).Run(prog, d.Marshal(abi.ByteOrder()))
	if err != nil {
		t.Fatal(err)
	}
	return ret
}

const (
	retAllow = 0x7fff0000
	retErrno = 0x00050000
	retKill  = 0x00000000
)

func TestBuildDockerDefault(t *testing.T) {
	for _, host := range []arch.Arch{arch.X86_64, arch.AARCH64, arch.S390X} {
		r := proftest.DockerDefault(host)
		for _, opt := range []int{1, 2} {
			prog, err := libseccomp.Build(r, host, libseccomp.Options{Optimize: opt})
			if err != nil {
				t.Fatalf("%s -O%d: %v", host, opt, err)
			}
			if err := prog.Validate(); err != nil {
				t.Fatalf("%s -O%d: %v", host, opt, err)
			}
			if got := run(t, prog, host, proftest.Nr(t, host, "getppid")); got != retAllow {
				t.Errorf("%s -O%d getppid: %#x", host, opt, got)
			}
			if got := run(t, prog, host, proftest.Nr(t, host, "personality"), 0xffffffff); got != retAllow {
				t.Errorf("%s -O%d personality(0xffffffff): %#x", host, opt, got)
			}
			if got := run(t, prog, host, proftest.Nr(t, host, "personality"), 0x40000); got != retErrno|1 {
				t.Errorf("%s -O%d personality(0x40000): %#x", host, opt, got)
			}
			t.Logf("%s -O%d: %d instructions", host, opt, len(prog))
		}
	}
}

func TestBuildConflict(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":3,"op":"SCMP_CMP_EQ"}]},
		{"names":["read"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":3,"op":"SCMP_CMP_EQ"}]}]}`)
	_, err := libseccomp.Build(p, arch.X86_64, libseccomp.Options{Optimize: 2})
	if !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("got %v, want EEXIST", err)
	}
	t.Log(err)
}

func TestBuildBadErrno(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}, Rules: []profile.Rule{
		{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActErrno, Data: 4095}},
	}}
	if _, err := libseccomp.Build(p, arch.X86_64, libseccomp.Options{}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("got %v, want EINVAL", err)
	}
	p.Rules[0].Action.Data = 4094
	if _, err := libseccomp.Build(p, arch.X86_64, libseccomp.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestBuildForeignHost builds a big-endian filter on this machine and
// checks the byte order and the translation of names.
func TestBuildForeignHost(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_S390X","SCMP_ARCH_S390"],"syscalls":[
		{"names":["getppid","socket"],"action":"SCMP_ACT_ALLOW"}]}`)
	prog, err := libseccomp.Build(p, arch.S390X, libseccomp.Options{Optimize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := run(t, prog, arch.S390X, proftest.Nr(t, arch.S390X, "getppid")); got != retAllow {
		t.Errorf("s390x getppid: %#x", got)
	}
	if got := run(t, prog, arch.S390, 102, 1); got != retAllow {
		t.Errorf("s390 socketcall(SYS_SOCKET): %#x", got)
	}
	if got := run(t, prog, arch.S390, 102, 2); got != retErrno|1 {
		t.Errorf("s390 socketcall(SYS_BIND): %#x", got)
	}
	if got := run(t, prog, arch.S390X, proftest.Nr(t, arch.S390X, "socket")); got != retAllow {
		t.Errorf("s390x socket: %#x", got)
	}
	if got := run(t, prog, arch.X86_64, 0); got != retKill {
		t.Errorf("x86_64 on an s390x filter: %#x", got)
	}
}

func TestResolve(t *testing.T) {
	if maj, min, _ := libseccomp.Version(); maj < 2 || maj == 2 && min < 5 {
		t.Skipf("libseccomp %d.%d is older than 2.5", maj, min)
	}
	for _, a := range []arch.Arch{arch.X86_64, arch.X32, arch.X86, arch.AARCH64, arch.S390X} {
		n := proftest.Nr(t, a, "read")
		if name, ok := libseccomp.SyscallName(a, n); !ok || name != "read" {
			t.Errorf("%s %d: %q %v", a, n, name, ok)
		}
		if got, ok := libseccomp.SyscallNumber(a, "read"); !ok || uint32(got) != n {
			t.Errorf("%s read: %d %v", a, got, ok)
		}
	}
	if !libseccomp.Supported(arch.RISCV64) {
		t.Error("riscv64 unsupported")
	}
}

// TestBug: Bug finds the marks of libseccomp's code-generation bugs on the
// path of an input, and none in a sound program.
func TestBug(t *testing.T) {
	const (
		ld    = bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS
		jeq   = bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K
		ret   = bpf.BPF_RET | bpf.BPF_K
		audit = 0xc000003e // AUDIT_ARCH_X86_64
	)
	audits := map[uint32]bool{audit: true}
	sound := bpf.Program{
		{Op: ld, K: bpf.OffsetArch},
		{Op: jeq, K: audit, Jf: 3},
		{Op: ld, K: bpf.OffsetNr},
		{Op: jeq, K: 0, Jf: 1},
		{Op: ret, K: retAllow},
		{Op: ret, K: retKill},
	}
	// The comparison at 4 reads nr on one path, the low word of
	// argument 0 on the other.
	stale := bpf.Program{
		{Op: ld, K: bpf.OffsetNr},
		{Op: jeq, K: 0, Jf: 1},
		{Op: ld, K: bpf.OffsetArgs},
		{Op: bpf.BPF_ALU | bpf.BPF_AND | bpf.BPF_K, K: 0xff},
		{Op: jeq, K: 5, Jf: 1},
		{Op: ret, K: retAllow},
		{Op: ret, K: retKill},
	}
	// The comparison at 2 compares the arch field with a system-call
	// number: the load of nr is missing.
	noNr := bpf.Program{
		{Op: ld, K: bpf.OffsetArch},
		{Op: jeq, K: audit, Jf: 2},
		{Op: jeq, K: 0, Jf: 1},
		{Op: ret, K: retAllow},
		{Op: ret, K: retKill},
	}
	for _, tc := range []struct {
		name string
		prog bpf.Program
		nr   uint32
		arch uint32
		at   int
		mark string
	}{
		{"sound", sound, 0, audit, -1, ""},
		{"sound, other call", sound, 1, audit, -1, ""},
		{"stale, through the argument load", stale, 0, audit, 4, "stale"},
		{"stale, around it", stale, 1, audit, 4, "stale"},
		{"missing nr", noNr, 0, audit, 2, "missing load of nr"},
		{"missing nr, not on the path", noNr, 0, 0x40000003, -1, ""},
	} {
		d := bpf.SeccompData{Nr: int32(tc.nr), Arch: tc.arch}
		at, mark := libseccomp.Bug(tc.prog, d.Marshal(arch.X86_64.ByteOrder()), arch.X86_64.ByteOrder(), audits)
		if at != tc.at || !strings.Contains(mark, tc.mark) || (tc.mark == "") != (mark == "") {
			t.Errorf("%s: Bug = %d %q, want %d %q", tc.name, at, mark, tc.at, tc.mark)
		}
	}
}
