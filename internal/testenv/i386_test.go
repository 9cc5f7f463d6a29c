package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

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
