package builtin_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/seccomp"
)

// Filters are never installed in the test process: the strict tests
// re-execute the test binary as a child that installs the profile on
// itself, makes raw system calls and writes what happened as JSON to its
// stdout with a raw write (strict allows no new threads, so the child
// keeps to calls that need none).
func init() { testenv.Program("strict", strictHelper) }

func TestMain(m *testing.M) {
	testenv.Main(m)
}

func strictHelper() {
	runtime.LockOSThread()
	res := map[string]string{}
	out := func() {
		b, _ := json.Marshal(res)
		syscall.RawSyscall(syscall.SYS_WRITE, 1, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	}
	host, _ := arch.Native()
	p, err := builtin.Get("strict")
	if err == nil {
		p, err = p.Resolve(profile.Env{Arch: host})
	}
	var f *seccomp.Filter
	if err == nil {
		f, err = seccomp.Compile(p, host, seccomp.Options{})
	}
	if err == nil {
		_, err = seccomp.Install(f, seccomp.InstallOptions{})
	}
	if err != nil {
		res["error"] = err.Error()
		out()
	}
	dir := os.Getenv("STRICT_DIR")
	existing, _ := syscall.BytePtrFromString(filepath.Join(dir, "data"))
	fresh, _ := syscall.BytePtrFromString(filepath.Join(dir, "new"))
	errno := func(e syscall.Errno) string {
		if e == 0 {
			return "ok"
		}
		return e.Error()
	}
	atFDCWD := ^uintptr(99) // AT_FDCWD (-100) as glibc passes it, sign-extended
	open := func(path *byte, flags uintptr) string {
		fd, _, e := syscall.RawSyscall6(syscall.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(path)), flags, 0o644, 0, 0)
		if e == 0 {
			syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
		}
		return errno(e)
	}
	// Reading works.
	fd, _, e := syscall.RawSyscall6(syscall.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(existing)), syscall.O_RDONLY, 0, 0, 0)
	if e == 0 {
		buf := make([]byte, 64)
		n, _, e2 := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		res["read"] = errno(e2) + ":" + string(buf[:n])
		syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
	} else {
		res["read"] = errno(e)
	}
	res["wronly"] = open(existing, syscall.O_WRONLY)
	res["rdwr"] = open(existing, syscall.O_RDWR)
	res["append"] = open(existing, syscall.O_WRONLY|syscall.O_APPEND)
	res["trunc"] = open(existing, syscall.O_RDONLY|syscall.O_TRUNC)
	res["creat"] = open(fresh, syscall.O_RDONLY|syscall.O_CREAT)
	high := uint64(1) << 32 // a bit of the register above the int the kernel reads (64-bit hosts)
	res["wronly-high"] = open(existing, uintptr(high|syscall.O_WRONLY))
	res["rdonly-high"] = open(existing, uintptr(high|syscall.O_RDONLY|syscall.O_CLOEXEC))

	const prot = syscall.PROT_READ | syscall.PROT_WRITE | syscall.PROT_EXEC
	mmap := func(p uintptr) (uintptr, string) {
		a, _, e := syscall.RawSyscall6(syscall.SYS_MMAP, 0, 4096, p, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS, ^uintptr(0), 0)
		return a, errno(e)
	}
	_, res["mmap-wx"] = mmap(prot)
	_, res["mmap-wx-high"] = mmap(uintptr(high | prot))
	addr, rw := mmap(syscall.PROT_READ | syscall.PROT_WRITE)
	res["mmap-rw"] = rw
	_, _, e = syscall.RawSyscall(syscall.SYS_MPROTECT, addr, 4096, prot)
	res["mprotect-wx"] = errno(e)
	_, _, e = syscall.RawSyscall(syscall.SYS_MPROTECT, addr, 4096, syscall.PROT_READ|syscall.PROT_EXEC)
	res["mprotect-rx"] = errno(e)

	b := []byte{'x'}
	var termios [64]byte
	_, _, e = syscall.RawSyscall(syscall.SYS_IOCTL, 0, syscall.TIOCSTI, uintptr(unsafe.Pointer(&b[0])))
	res["tiocsti"] = errno(e)
	_, _, e = syscall.RawSyscall(syscall.SYS_IOCTL, 0, uintptr(high|syscall.TIOCSTI), uintptr(unsafe.Pointer(&b[0])))
	res["tiocsti-high"] = errno(e)
	_, _, e = syscall.RawSyscall(syscall.SYS_IOCTL, 0, syscall.TCGETS, uintptr(unsafe.Pointer(&termios[0])))
	res["tcgets"] = errno(e)
	out()
}

// TestKernelStrict runs a child under the built-in strict profile: it
// can read a file but not open one for writing, create or truncate one
// (high bits in flags change nothing), cannot map memory writable and
// executable at once, and cannot push input into a terminal.
func TestKernelStrict(t *testing.T) {
	if _, ok := arch.Native(); !ok {
		t.Skip("no syscall table for this architecture")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := testenv.Command("strict")
	cmd.Env = append(cmd.Env, "STRICT_DIR="+dir)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	cmd.Stdin = devnull
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v %s", err, outb)
	}
	var res map[string]string
	if err := json.Unmarshal(outb, &res); err != nil {
		t.Fatalf("helper output %q: %v", outb, err)
	}
	if res["error"] != "" {
		t.Fatal(res["error"])
	}
	eperm := syscall.EPERM.Error()
	for k, want := range map[string]string{
		"read":         "ok:hello",
		"wronly":       eperm,
		"rdwr":         eperm,
		"append":       eperm,
		"trunc":        eperm,
		"creat":        eperm,
		"wronly-high":  eperm,
		"rdonly-high":  "ok",
		"mmap-wx":      eperm,
		"mmap-wx-high": eperm,
		"mmap-rw":      "ok",
		"mprotect-wx":  eperm,
		"mprotect-rx":  "ok",
		"tiocsti":      eperm,
		"tiocsti-high": eperm,
		"tcgets":       syscall.ENOTTY.Error(), // reaches the kernel: stdin is /dev/null
	} {
		if got := res[k]; got != want {
			t.Errorf("%s: %s, want %s", k, got, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data")); err != nil || string(b) != "hello" {
		t.Errorf("data after the child: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
		t.Error("the child created a file")
	}
}
