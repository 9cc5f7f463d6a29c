package unix

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// i386Exit is what the i386 probe program exits with.
const i386Exit = 42

// i386Probe is a static i386 ELF executable, made by hand so that the
// probe needs no toolchain: one PT_LOAD segment whose code calls exit(42)
// through int 0x80 (mov $1, %eax; mov $42, %ebx; int $0x80).
var i386Probe = elf32(3, []byte{
	0xb8, 0x01, 0x00, 0x00, 0x00, // mov $1, %eax (exit)
	0xbb, i386Exit, 0x00, 0x00, 0x00, // mov $42, %ebx
	0xcd, 0x80, // int $0x80
})

// ProbeI386 asks the kernel whether it runs i386 programs: it executes a
// tiny static i386 ELF program that exits through int 0x80. A kernel
// built with CONFIG_IA32_EMULATION can still refuse them (turned off at
// boot with ia32_emulation=0, or a hypervisor that does not run 32-bit
// code): only running one tells. It reports false, with a nil error, when
// the kernel refuses the program (ENOEXEC), and an error when the probe
// itself breaks.
func ProbeI386() (bool, error) { return probeExec(i386Probe, i386Exit) }

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

// probeExec writes image to a temporary file and executes it. It reports
// true if the program exits with want, false if the kernel refuses to
// execute it (ENOEXEC), and an error for anything else.
func probeExec(image []byte, want int) (bool, error) {
	dir, err := os.MkdirTemp("", "syscage-probe")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "probe")
	if err := os.WriteFile(bin, image, 0o755); err != nil {
		return false, err
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
		return false, nil
	case err == nil && want == 0, errors.As(err, &ee) && ee.ExitCode() == want:
		return true, nil
	case err == nil:
		return false, fmt.Errorf("the probe program exited 0, want exit status %d", want)
	case ee != nil:
		return false, fmt.Errorf("the probe program ended with %v, want exit status %d", ee.ProcessState, want)
	}
	return false, fmt.Errorf("execute the probe program: %w", err)
}
