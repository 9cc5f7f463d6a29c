package launch

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// testKstat has a distinct value in every byte a field can reach, and
// values beyond what the 32-bit fields hold (the times, the 64-bit inode
// number).
var testKstat = kstat{
	Dev: encodeDev(0x123, 0x45678), Rdev: encodeDev(8, 1),
	Ino: 0x1122334455667788, Mode: 0o100644, Nlink: 3, UID: 1000, GID: 100,
	Size: 0x0102030405060708, Blksize: 4096, Blocks: 0xa0b0c0d0e0f0a1b1,
	Atime: statTime{Sec: 0x1_7000_0001, Nsec: 111}, Mtime: statTime{Sec: 0x7000_0002, Nsec: 222}, Ctime: statTime{Sec: 0x7000_0003, Nsec: 333},
}

// TestEncodeDev checks new_encode_dev against the kernel's definition:
// (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12).
func TestEncodeDev(t *testing.T) {
	for _, c := range []struct {
		major, minor uint32
		want         uint64
	}{{8, 1, 0x801}, {0, 0, 0}, {0x123, 0x45678, 0x45612378}, {0xfff, 0xfffff, 0xffffffff}} {
		if got := encodeDev(c.major, c.minor); got != c.want {
			t.Errorf("encodeDev(%#x, %#x) = %#x, want %#x", c.major, c.minor, got, c.want)
		}
	}
}

// TestI386Stat64Bytes checks the i386 struct stat64 against bytes
// written out by hand from the kernel's struct (arch/x86/include/uapi/
// asm/stat.h), little-endian: st_dev, __pad0, __st_ino (the inode
// number's low half), st_mode, st_nlink, st_uid, st_gid, st_rdev,
// __pad3, st_size, st_blksize, st_blocks, three times of 32-bit seconds
// and nanoseconds, st_ino.
func TestI386Stat64Bytes(t *testing.T) {
	want := strings.Join([]string{
		"7823614500000000", "00000000", "88776655",
		"a4810000", "03000000", "e8030000", "64000000",
		"0108000000000000", "00000000", "0807060504030201", "00100000", "b1a1f0e0d0c0b0a0",
		"01000070", "6f000000", "02000070", "de000000", "03000070", "4d010000",
		"8877665544332211",
	}, "")
	got := hex.EncodeToString(i386Stat64Bytes(testKstat))
	if got != want {
		t.Errorf("struct stat64:\n got %s\nwant %s", got, want)
	}
}

// TestI386StatBytes checks the i386 struct stat (the kernel's
// compat_stat) against bytes written out by hand, and the EOVERFLOW of
// each field the kernel checks: the inode number, the link count and the
// size; a uid or gid beyond 16 bits is the overflow id.
func TestI386StatBytes(t *testing.T) {
	k := testKstat
	k.Ino, k.Size, k.Blocks = 0x11223344, 0x7fffffff, 0x1_0000_0009
	want := strings.Join([]string{
		"78236145", "44332211", "a481", "0300", "e803", "6400",
		"01080000", "ffffff7f", "00100000", "09000000",
		"01000070", "6f000000", "02000070", "de000000", "03000070", "4d010000",
		"00000000", "00000000",
	}, "")
	b, err := i386StatBytes(k, 65534, 65533)
	if err != nil || hex.EncodeToString(b) != want {
		t.Errorf("struct stat: %v\n got %x\nwant %s", err, b, want)
	}
	big := k
	big.UID, big.GID = 0x10000, 70000
	if b, err := i386StatBytes(big, 65534, 65533); err != nil || hex.EncodeToString(b[12:16]) != "feff"+"fdff" {
		t.Errorf("uid and gid beyond 16 bits: %x, %v; want the overflow ids", b[12:16], err)
	}
	for _, c := range []struct {
		name string
		set  func(*kstat)
	}{
		{"inode beyond 32 bits", func(k *kstat) { k.Ino = 1 << 32 }},
		{"link count beyond 16 bits", func(k *kstat) { k.Nlink = 1 << 16 }},
		{"size beyond 2 GiB - 1", func(k *kstat) { k.Size = 1 << 31 }},
	} {
		k := k
		c.set(&k)
		if _, err := i386StatBytes(k, 65534, 65534); !errors.Is(err, syscall.EOVERFLOW) {
			t.Errorf("%s: %v, want EOVERFLOW", c.name, err)
		}
	}
}

// TestI386StatLayoutsInC proves the layouts' offsets and sizes against
// the kernel's own header as a C compiler lays it out for i386: a file
// of static assertions compiled with gcc -m32 (compiled only, never
// run; the kernel need not run i386 programs).
func TestI386StatLayoutsInC(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	var src bytes.Buffer
	src.WriteString("#include <stddef.h>\n#include <asm/stat.h>\n")
	for _, l := range []statLayout{i386Stat64, i386Stat} {
		fmt.Fprintf(&src, "_Static_assert(sizeof(struct %s) == %d, \"sizeof %s\");\n", l.Name, l.Size, l.Name)
		end := 0
		for _, f := range l.Fields {
			fmt.Fprintf(&src, "_Static_assert(offsetof(struct %s, %s) == %d, \"%s.%s offset\");\n", l.Name, f.Name, f.Offset, l.Name, f.Name)
			fmt.Fprintf(&src, "_Static_assert(sizeof(((struct %s *)0)->%s) == %d, \"%s.%s size\");\n", l.Name, f.Name, f.Size, l.Name, f.Name)
			if f.Offset != end {
				t.Errorf("%s.%s at %d, want %d: the fields must cover the struct", l.Name, f.Name, f.Offset, end)
			}
			end = f.Offset + f.Size
		}
		if end != l.Size {
			t.Errorf("%s: fields end at %d, want %d", l.Name, end, l.Size)
		}
	}
	dir := t.TempDir()
	c := filepath.Join(dir, "layout.c")
	if err := os.WriteFile(c, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The uapi header has the i386 structs under __i386__; Debian keeps
	// it in the multiarch directory of the host.
	args := []string{"-m32", "-c", "-o", filepath.Join(dir, "layout.o"), c}
	for _, d := range []string{"/usr/include/x86_64-linux-gnu", "/usr/include/i386-linux-gnu"} {
		if _, err := os.Stat(filepath.Join(d, "asm", "stat.h")); err == nil {
			args = append([]string{"-I", d}, args...)
		}
	}
	out, err := exec.Command(gcc, args...).CombinedOutput()
	if err != nil && (bytes.Contains(out, []byte("asm/stat.h")) && bytes.Contains(out, []byte("No such file")) || bytes.Contains(out, []byte("bits/"))) {
		t.Skipf("no i386 kernel headers for gcc -m32 (gcc-multilib): %s", out)
	}
	if err != nil {
		t.Fatalf("gcc -m32: %v\n%s\n%s", err, out, src.String())
	}
}
