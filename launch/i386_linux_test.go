package launch_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
)

// i386Uname is an i386 program that calls uname through int 0x80 (122 is
// uname on i386) and exits with the errno it got, 0 on success.
const i386Uname = `
	.globl _start
	.text
_start:
	movl $122, %eax
	movl $buf, %ebx
	int $0x80
	negl %eax
	movl %eax, %ebx
	movl $1, %eax
	int $0x80
	.bss
buf:
	.space 512
`

// buildI386 assembles and links src as a static i386 program.
func buildI386(t *testing.T, src string) string {
	t.Helper()
	as := testenv.Tool(t, "as", "binutils")
	ld := testenv.Tool(t, "ld", "binutils")
	dir := t.TempDir()
	s, o, bin := filepath.Join(dir, "p.s"), filepath.Join(dir, "p.o"), filepath.Join(dir, "p")
	if err := os.WriteFile(s, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{as, "--32", "-o", o, s}, {ld, "-m", "elf_i386", "-static", "-o", bin, o}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	return bin
}

func TestI386IntX80(t *testing.T) {
	testenv.NeedI386(t)
	bin := buildI386(t, i386Uname)
	// Unfiltered, the program runs and uname succeeds.
	if err := exec.Command(bin).Run(); err != nil {
		t.Fatalf("the i386 program does not run unfiltered: %v", err)
	}
	for _, c := range []struct {
		name, profile string
		code          int
		report        string
	}{
		{"x86_64 only: bad arch", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
			"syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO"}]}`, 159,
			"uname (122 on x86) got KILL_THREAD as a bad architecture: the profile does not cover x86"},
		{"x86 listed: its rule", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
			"syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`, 13, ""},
		{"x86 listed, allowed", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]}`, 0, ""},
		{"x86 listed: trap", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
			"syscalls": [{"names": ["uname"], "action": "SCMP_ACT_TRAP"}]}`, 159, "uname (122 on x86) got TRAP from rule 1 of the profile (uname)"},
		{"bad arch trap", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]}`, 159, "uname (122 on x86) got TRAP as a bad architecture: the profile does not cover x86"},
	} {
		cmd := runKilled(t, func() *launch.Cmd {
			cmd := launch.Command(proftest.Parse(t, c.profile), bin)
			if c.name == "bad arch trap" {
				cmd.Compile.BadArch = profile.Action{Kind: profile.ActTrap}
			}
			return cmd
		})
		st := cmd.Status
		if st.ExitCode() != c.code {
			t.Errorf("%s: %s (exit %d), want exit %d", c.name, st, st.ExitCode(), c.code)
		}
		got := ""
		if st.Violation != nil {
			got = st.Violation.String()
		}
		if got != c.report {
			t.Errorf("%s: report %q, want %q", c.name, got, c.report)
		}
	}
}

// i386UnameC is the same program in C, built with gcc -m32 -static: glibc's
// start-up makes its own i386 system calls first.
const i386UnameC = `
#include <sys/utsname.h>
static struct utsname u;
int main(void) {
	int r;
	__asm__ volatile ("int $0x80" : "=a"(r) : "a"(122), "b"(&u) : "memory");
	return r < 0 ? -r : 0;
}
`

func TestI386GCC(t *testing.T) {
	testenv.NeedI386(t)
	gcc := testenv.Tool(t, "gcc", "gcc")
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "u.c"), filepath.Join(dir, "u")
	os.WriteFile(src, []byte(i386UnameC), 0o644)
	if out, err := exec.Command(gcc, "-m32", "-static", "-O2", "-o", bin, src).CombinedOutput(); err != nil {
		testenv.Missing(t, "gcc -m32 -static: %v\n%s(Debian packages gcc-multilib and libc6-dev-i386)", err, out)
	}
	for _, c := range []struct {
		profile string
		code    int
	}{
		{`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO"}]}`, 159},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`, 13},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]}`, 0},
	} {
		cmd := launch.Command(proftest.Parse(t, c.profile), bin)
		cmd.KernelRecord = func(int) (launch.Record, bool) { return launch.Record{}, false } // the exit code is the point here
		cmd.Run()
		if got := cmd.Status.ExitCode(); got != c.code {
			t.Errorf("%s: %s (exit %d), want exit %d", c.profile, cmd.Status, got, c.code)
		}
	}
}

// The stage runs nothing but execve after the install: under a profile
// that allows only execve and exit_group and kills everything else, a
// program that makes no other call starts every time (a futex for the
// scheduler or an rt_sigreturn after a preemption signal in the stage
// would kill it now and then).
func TestStageMakesNoCallAfterInstall(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the program is x86_64 assembly")
	}
	as := testenv.Tool(t, "as", "binutils")
	ld := testenv.Tool(t, "ld", "binutils")
	dir := t.TempDir()
	s, o, bin := filepath.Join(dir, "e.s"), filepath.Join(dir, "e.o"), filepath.Join(dir, "e")
	os.WriteFile(s, []byte(".globl _start\n_start:\n\tmovl $231, %eax\n\txorl %edi, %edi\n\tsyscall\n"), 0o644)
	for _, args := range [][]string{{as, "-o", o, s}, {ld, "-static", "-o", bin, o}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"names": ["execve", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}`)
	for i := range 200 {
		cmd := launch.Command(p, bin)
		cmd.KernelRecord = func(int) (launch.Record, bool) { return launch.Record{}, false }
		if err := cmd.Run(); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

// i386Stats is an i386 program that calls stat64 (195), then stat (106),
// on argv[1] through int 0x80 and writes both structs to stdout (96 and
// 64 bytes); it exits with the errno of a call that failed.
const i386Stats = `
	.globl _start
	.text
_start:
	movl 8(%esp), %ebx
	movl $195, %eax
	movl $buf64, %ecx
	int $0x80
	testl %eax, %eax
	jnz fail
	movl 8(%esp), %ebx
	movl $106, %eax
	movl $buf, %ecx
	int $0x80
	testl %eax, %eax
	jnz fail
	movl $4, %eax
	movl $1, %ebx
	movl $buf64, %ecx
	movl $160, %edx
	int $0x80
	xorl %ebx, %ebx
	movl $1, %eax
	int $0x80
fail:
	negl %eax
	movl %eax, %ebx
	movl $1, %eax
	int $0x80
	.bss
buf64:
	.space 96
buf:
	.space 64
`

// TestI386BrokerStat runs an i386 program's stat64 and stat through
// the open broker: the broker writes i386's struct stat64 and struct
// stat, whose inode number, mode and size are the file's.
func TestI386BrokerStat(t *testing.T) {
	testenv.NeedI386(t)
	bin := buildI386(t, i386Stats)
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("twelve bytes"), 0o640); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil {
		t.Fatal(err)
	}
	cmd := launch.Command(allowAll(), bin, file)
	cmd.AllowOpen, cmd.NoDefaultOpens = []launch.OpenRule{{Path: dir}}, true
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v (%d bytes out)", err, out.Len())
	}
	b := out.Bytes()
	if len(b) != 160 {
		t.Fatalf("%d bytes, want 160", len(b))
	}
	le := binary.LittleEndian
	s64, s := b[:96], b[96:]
	if ino, size, mode := le.Uint64(s64[88:]), le.Uint64(s64[44:]), le.Uint32(s64[16:]); ino != st.Ino || size != 12 || mode != st.Mode {
		t.Errorf("stat64: ino %d size %d mode %o, want %d 12 %o", ino, size, mode, st.Ino, st.Mode)
	}
	if ino, size, mode := le.Uint32(s[4:]), le.Uint32(s[20:]), le.Uint16(s[8:]); uint64(ino) != st.Ino || size != 12 || uint32(mode) != st.Mode {
		t.Errorf("stat: ino %d size %d mode %o, want %d 12 %o", ino, size, mode, st.Ino, st.Mode)
	}
}
