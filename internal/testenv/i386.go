package testenv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NoI386Env, when set, makes RunsI386 answer as on a kernel that refuses
// i386 programs, so that the suite's behaviour there can be tried on any
// machine.
const NoI386Env = "SYSCAGE_TEST_NO_I386"

// i386Exit is what the probe program exits with.
const i386Exit = 42

// i386Probe is a static i386 ELF executable, made by hand so that the
// probe needs no toolchain: one PT_LOAD segment whose code calls exit(42)
// through int 0x80 (mov $1, %eax; mov $42, %ebx; int $0x80).
var i386Probe = elf32(3, []byte{
	0xb8, 0x01, 0x00, 0x00, 0x00, // mov $1, %eax (exit)
	0xbb, i386Exit, 0x00, 0x00, 0x00, // mov $42, %ebx
	0xcd, 0x80, // int $0x80
})

// elf32 returns a little-endian 32-bit ELF executable for machine whose
// single segment, loaded at 0x08048000, is the headers followed by code,
// where execution starts.
func elf32(machine uint16, code []byte) []byte {
	const base, ehsize, phsize = 0x08048000, 52, 32
	b := make([]byte, ehsize+phsize, ehsize+phsize+len(code))
	copy(b, "\x7fELF\x01\x01\x01") // ELFCLASS32, ELFDATA2LSB, EV_CURRENT
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)                  // e_type: ET_EXEC
	le.PutUint16(b[18:], machine)            // e_machine
	le.PutUint32(b[20:], 1)                  // e_version
	le.PutUint32(b[24:], base+ehsize+phsize) // e_entry
	le.PutUint32(b[28:], ehsize)             // e_phoff
	le.PutUint16(b[40:], ehsize)             // e_ehsize
	le.PutUint16(b[42:], phsize)             // e_phentsize
	le.PutUint16(b[44:], 1)                  // e_phnum
	ph := b[ehsize:]
	size := uint32(ehsize + phsize + len(code))
	le.PutUint32(ph[0:], 1)       // p_type: PT_LOAD
	le.PutUint32(ph[8:], base)    // p_vaddr
	le.PutUint32(ph[12:], base)   // p_paddr
	le.PutUint32(ph[16:], size)   // p_filesz
	le.PutUint32(ph[20:], size)   // p_memsz
	le.PutUint32(ph[24:], 5)      // p_flags: PF_R|PF_X
	le.PutUint32(ph[28:], 0x1000) // p_align
	return append(b, code...)
}

// i386Refused is the reason given when the kernel will not run i386
// programs: no package provides what is missing, so tests skip.
const i386Refused = "this kernel refuses i386 programs (%s): IA32 emulation is off " +
	"(ia32_emulation=0 on the kernel command line, CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y " +
	"without ia32_emulation=1, or no CONFIG_IA32_EMULATION)"

var i386Once struct {
	sync.Once
	ok  bool
	why string
	err error
}

// RunsI386 reports whether this machine runs i386 programs: an x86_64
// kernel that executes a static i386 ELF file, whose int 0x80 system
// calls work. The kernel is probed once per test binary. With
// SYSCAGE_TEST_NO_I386 set it reports false, as a kernel that refuses
// i386 programs would. If the probe itself breaks (not a refusal of the
// program), the test fails.
func RunsI386(t testing.TB) bool {
	t.Helper()
	ok, _ := runsI386(t)
	return ok
}

// NeedI386 skips the test unless RunsI386, naming the kernel setting that
// is missing.
func NeedI386(t testing.TB) {
	t.Helper()
	if ok, why := runsI386(t); !ok {
		t.Skipf("%s", why)
	}
}

func runsI386(t testing.TB) (bool, string) {
	t.Helper()
	if os.Getenv(NoI386Env) != "" {
		return false, fmt.Sprintf(i386Refused, NoI386Env+" is set")
	}
	if runtime.GOARCH != "amd64" {
		return false, "i386 programs run on x86_64 kernels only, this is " + runtime.GOARCH
	}
	ok, why, err := kernelRunsI386()
	if err != nil {
		t.Fatalf("probe whether the kernel runs i386 programs: %v", err)
	}
	return ok, why
}

// kernelRunsI386 probes the kernel once, whatever SYSCAGE_TEST_NO_I386
// says.
func kernelRunsI386() (ok bool, why string, err error) {
	i386Once.Do(func() { i386Once.ok, i386Once.why, i386Once.err = probeExec(i386Probe, i386Exit) })
	return i386Once.ok, i386Once.why, i386Once.err
}

// probeExec writes image to a temporary file and executes it. It reports
// true if the program exits with want, false with the reason if the
// kernel refuses to execute it (ENOEXEC), and an error for anything else.
func probeExec(image []byte, want int) (ok bool, why string, err error) {
	dir, err := os.MkdirTemp("", "syscage-probe")
	if err != nil {
		return false, "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "probe")
	if err := os.WriteFile(bin, image, 0o755); err != nil {
		return false, "", err
	}
	for try := 0; ; try++ {
		err = exec.Command(bin).Run()
		// A fork elsewhere in the process may briefly hold the file open
		// for writing.
		if !errors.Is(err, syscall.ETXTBSY) || try == 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var ee *exec.ExitError
	switch {
	case errors.Is(err, syscall.ENOEXEC):
		return false, fmt.Sprintf(i386Refused, "executing a static i386 ELF file: "+syscall.ENOEXEC.Error()), nil
	case err == nil && want == 0, errors.As(err, &ee) && ee.ExitCode() == want:
		return true, "", nil
	case err == nil:
		return false, "", fmt.Errorf("the probe program exited 0, want exit status %d", want)
	case ee != nil:
		return false, "", fmt.Errorf("the probe program ended with %v, want exit status %d", ee.ProcessState, want)
	}
	return false, "", fmt.Errorf("execute the probe program: %w", err)
}
