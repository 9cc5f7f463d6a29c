package testenv

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// The probe program is a well-formed static i386 executable whose entry
// point is its code.
func TestI386ProbeImage(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(i386Probe))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS32 || f.Data != elf.ELFDATA2LSB || f.Machine != elf.EM_386 || f.Type != elf.ET_EXEC {
		t.Fatalf("class %v, data %v, machine %v, type %v; want an i386 executable", f.Class, f.Data, f.Machine, f.Type)
	}
	if len(f.Progs) != 1 || f.Progs[0].Type != elf.PT_LOAD || f.Progs[0].Flags != elf.PF_R|elf.PF_X {
		t.Fatalf("program headers %v, want one readable, executable PT_LOAD", f.Progs)
	}
	p := f.Progs[0]
	if f.Entry < p.Vaddr || f.Entry+12 > p.Vaddr+p.Filesz || p.Filesz != uint64(len(i386Probe)) {
		t.Errorf("entry %#x outside the segment %#x+%d", f.Entry, p.Vaddr, p.Filesz)
	}
	if code := i386Probe[f.Entry-p.Vaddr:]; !bytes.HasSuffix(code, []byte{0xcd, 0x80}) {
		t.Errorf("code % x does not end with int $0x80", code)
	}
}

// A program the kernel has no loader for (as an i386 one is on a kernel
// with IA32 emulation off) is a refusal that names the kernel setting,
// not an error.
func TestProbeExecRefused(t *testing.T) {
	ok, why, err := probeExec(elf32(0xbeef, []byte{0xcd, 0x80}), i386Exit)
	if ok || err != nil {
		t.Fatalf("an ELF file for machine 0xbeef: ok %v, error %v; want a refusal", ok, err)
	}
	for _, s := range []string{"exec format error", "ia32_emulation=0", "CONFIG_IA32_EMULATION"} {
		if !strings.Contains(why, s) {
			t.Errorf("reason %q does not say %q", why, s)
		}
	}
}

// A probe program that runs but does not end as it should is an error
// (the test fails), never a skip.
func TestProbeExecWrongExit(t *testing.T) {
	if ok, _, err := kernelRunsI386(); err != nil || !ok {
		t.Skipf("the kernel does not run i386 programs (%v)", err)
	}
	wrong := elf32(3, []byte{0xb8, 1, 0, 0, 0, 0xbb, 7, 0, 0, 0, 0xcd, 0x80}) // exit(7)
	ok, why, err := probeExec(wrong, i386Exit)
	if ok || err == nil || !strings.Contains(err.Error(), "exit status 7") {
		t.Errorf("exit(7) for 42: ok %v, reason %q, error %v; want an error naming exit status 7", ok, why, err)
	}
}

// The probe agrees with the kernel about a program built by the
// toolchain (as --32, ld -m elf_i386): both run, or the kernel refuses
// both.
func TestKernelRunsI386(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("i386 programs run on x86_64 kernels only")
	}
	ok, why, err := kernelRunsI386()
	if err != nil {
		t.Fatal(err)
	}
	as, ld := Tool(t, "as", "binutils"), Tool(t, "ld", "binutils")
	dir := t.TempDir()
	s, o, bin := filepath.Join(dir, "p.s"), filepath.Join(dir, "p.o"), filepath.Join(dir, "p")
	src := ".globl _start\n_start:\n\tmovl $1, %eax\n\tmovl $42, %ebx\n\tint $0x80\n"
	if err := os.WriteFile(s, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{as, "--32", "-o", o, s}, {ld, "-m", "elf_i386", "-static", "-o", bin, o}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	err = exec.Command(bin).Run()
	var ee *exec.ExitError
	ran := errors.As(err, &ee) && ee.ExitCode() == 42
	if !ran && !errors.Is(err, syscall.ENOEXEC) {
		t.Fatalf("the toolchain's i386 program: %v, want exit status 42 or %v", err, syscall.ENOEXEC)
	}
	if ran != ok {
		t.Errorf("the probe says the kernel runs i386 programs: %v (%s); the toolchain's i386 program ran: %v (%v)", ok, why, ran, err)
	}
}
