package unix

import (
	"bytes"
	"debug/elf"
	"strings"
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
// with IA32 emulation off) is a refusal, not an error.
func TestProbeExecRefused(t *testing.T) {
	ok, err := probeExec(elf32(0xbeef, []byte{0xcd, 0x80}), i386Exit)
	if ok || err != nil {
		t.Fatalf("an ELF file for machine 0xbeef: ok %v, error %v; want a refusal", ok, err)
	}
}

// A probe program that runs but does not end as it should is an error,
// never an answer.
func TestProbeExecWrongExit(t *testing.T) {
	if ok, err := ProbeI386(); err != nil || !ok {
		t.Skipf("the kernel does not run i386 programs (%v)", err)
	}
	wrong := elf32(3, []byte{0xb8, 1, 0, 0, 0, 0xbb, 7, 0, 0, 0, 0xcd, 0x80}) // exit(7)
	ok, err := probeExec(wrong, i386Exit)
	if ok || err == nil || !strings.Contains(err.Error(), "exit status 7") {
		t.Errorf("exit(7) for 42: ok %v, error %v; want an error naming exit status 7", ok, err)
	}
}
