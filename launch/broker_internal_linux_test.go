package launch

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/internal/unix"
)

// TestBrokerOpen checks the broker's resolution: files in an allowed
// tree open with the access the rule gives, and no name reaches a file
// outside it, through "..", a symbolic link (relative, absolute, to a
// directory) or a relative name from a working directory.
func TestBrokerOpen(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	rw := filepath.Join(dir, "rw")
	out := filepath.Join(dir, "secret")
	testenv.Tree(t, dir, map[string]string{
		"rw/":       "",
		"ro/f":      "x",
		"secret":    "x",
		"single":    "x",
		"ro/abs":    "-> " + out,
		"ro/rel":    "-> ../secret",
		"ro/updir":  "-> ..",
		"ro/inside": "-> sub/../f",
		"outlink":   "-> " + filepath.Join(ro, "f"),
		"ro/sub/up": "-> ../f",
	})
	root, err := syscall.Open("/", unix.O_PATH|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(root)
	rules := []OpenRule{{Path: ro}, {Path: rw, Write: true}, {Path: filepath.Join(dir, "single")}}
	const rdonly, wronly, creat = syscall.O_RDONLY, syscall.O_WRONLY, syscall.O_WRONLY | syscall.O_CREAT
	for _, c := range []struct {
		base, name string
		flags      int
		ok         bool
	}{
		{"/", filepath.Join(ro, "f"), rdonly, true},
		{ro, "f", rdonly, true},
		{filepath.Join(ro, "sub"), "../f", rdonly, true},
		{ro, "inside", rdonly, true},
		{ro, "sub/up", rdonly, true},
		{"/", filepath.Join(dir, "single"), rdonly, true},
		{rw, "new", creat, true},
		{"/", filepath.Join(ro, "f"), wronly, false}, // read-only tree
		{ro, "new", creat, false},                    // read-only tree
		{"/", out, rdonly, false},                    // outside
		{ro, "../secret", rdonly, false},             // .. out of the tree
		{ro, "sub/../../secret", rdonly, false},      // .. out of the tree
		{ro, "abs", rdonly, false},                   // absolute link out
		{ro, "rel", rdonly, false},                   // relative link out
		{ro, "updir/secret", rdonly, false},          // link to the parent
		{dir, "outlink", rdonly, false},              // a link from outside into a tree
		{"/", filepath.Join(dir, "single2"), rdonly, false},
		{"/", ro + "/../secret", rdonly, false},
	} {
		f, err := brokerOpen(rules, root, c.base, c.name, c.flags, 0o600)
		if f != nil {
			// The launcher's copy is close-on-exec, whatever the program
			// asked: no program the launcher's process starts gets it.
			if fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFD, 0); e != 0 || fl&syscall.FD_CLOEXEC == 0 {
				t.Errorf("open %q from %q: the broker's descriptor is not close-on-exec (%#x, %v)", c.name, c.base, fl, e)
			}
			f.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("open %q from %q (flags %#x): err %v, want ok=%v", c.name, c.base, c.flags, err, c.ok)
		}
		if !c.ok && err != nil && !errors.Is(err, errOpenDenied) {
			t.Errorf("open %q from %q: %v, want the broker's refusal", c.name, c.base, err)
		}
	}
}

// TestDecodeCallCompat checks how the broker reads the arguments of
// 32-bit ABIs: registers are 32 bits (high halves ignored, dirfd signed),
// the 32-bit O_LARGEFILE is dropped, an unknown flag is refused, and a
// stat whose layout the broker does not write is marked so (ENOSYS).
func TestDecodeCallCompat(t *testing.T) {
	hi := uint64(0xdead_beef_0000_0000)
	c, ok := decodeCall(arch.X86, arch.X86_64, "openat", [6]uint64{uint64(uint32(0xffffff9c)), hi | 0x1000, hi | 0o100000 | syscall.O_RDONLY, 0})
	if !ok || c.dirfd != atFDCWD || c.path != 0x1000 {
		t.Fatalf("i386 openat: %+v", c)
	}
	if f, err := hostOpenFlags(arch.X86, c.flags); err != nil || f != syscall.O_RDONLY {
		t.Errorf("i386 O_LARGEFILE|O_RDONLY: %#x, %v; want O_RDONLY", f, err)
	}
	if _, err := hostOpenFlags(arch.X86_64, 0x40000000); err != syscall.EINVAL {
		t.Errorf("unknown flag: %v, want EINVAL", err)
	}
	for _, k := range []struct {
		a      arch.Arch
		name   string
		layout int
	}{
		{arch.X86_64, "newfstatat", statNative},
		{arch.X32, "newfstatat", statNative},
		{arch.X86, "fstatat64", statI386Stat64},
		{arch.X86, "stat64", statI386Stat64},
		{arch.X86, "lstat64", statI386Stat64},
		{arch.X86, "stat", statI386Stat},
		{arch.X86, "lstat", statI386Stat},
		{arch.X86, "oldstat", 0},
		{arch.X86, "oldlstat", 0},
		{arch.X86, "statx", statStatx},
		{arch.X86_64, "statx", statStatx},
	} {
		for _, native := range []arch.Arch{arch.X86_64, arch.X86} {
			if k.a != arch.X86 && native == arch.X86 {
				continue
			}
			// On an i386 host too: its struct stat is not Go's Stat_t.
			c, ok := decodeCall(k.a, native, k.name, [6]uint64{})
			if !ok || c.layout != k.layout || c.op != OpStat {
				t.Errorf("%s %s on %s: layout %d op %v, want %d stat", k.a, k.name, native, c.layout, c.op, k.layout)
			}
		}
	}
	// openat's flags are an int: high bits are not a flag.
	c, _ = decodeCall(arch.X86_64, arch.X86_64, "openat", [6]uint64{0, 0, hi | syscall.O_RDONLY, 0})
	if f, err := hostOpenFlags(arch.X86_64, c.flags); err != nil || f != 0 {
		t.Errorf("x86_64 openat with high bits: %#x, %v", f, err)
	}
}
