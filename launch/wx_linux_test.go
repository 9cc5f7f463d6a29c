package launch_test

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

func init() { testenv.Program("wx", targetWX) }

// targetWX maps memory writable and executable at once, then writable
// and later executable, and prints the errno of each.
func targetWX() {
	errno := func(err error) int {
		if e, ok := err.(syscall.Errno); ok {
			return int(e)
		}
		return 0
	}
	_, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	fmt.Printf("rwx %d\n", errno(err))
	b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		fmt.Printf("rw %d\n", errno(err))
		return
	}
	fmt.Printf("rw-then-wx %d\n", errno(syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC)))
	fmt.Printf("rw-then-x %d\n", errno(syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_EXEC)))
}

// TestMemoryDenyWriteExecute runs a program that maps memory writable and
// executable, with and without MemoryDenyWriteExecute: the filter denies
// the mapping (EPERM), PR_SET_MDWE refuses making writable memory
// executable later (EACCES), and Python still runs under the flag.
func TestMemoryDenyWriteExecute(t *testing.T) {
	allow := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}}
	for _, c := range []struct {
		wx   bool
		want string
	}{
		{false, "rwx 0\nrw-then-wx 0\nrw-then-x 0\n"},
		{true, "rwx 1\nrw-then-wx 1\nrw-then-x 13\n"},
	} {
		cmd, stdout, stderr := selfCmd(t, allow, "wx")
		cmd.MemoryDenyWriteExecute = c.wx
		if err := cmd.Run(); err != nil {
			t.Fatalf("wx=%v: %v\n%s", c.wx, err, stderr)
		}
		if got := stdout.String(); got != c.want {
			t.Errorf("wx=%v: got %q, want %q", c.wx, got, c.want)
		}
	}

	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	native, _ := arch.Native()
	docker := proftest.DockerDefault(native)
	cmd := launch.Command(docker, python, "-c", `import json, mmap, re, hashlib
print(json.dumps(sorted(re.findall("o", hashlib.sha256(b"ok").hexdigest() + "o"))))
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    print("rwx mapped")
except OSError as e:
    print("rwx", e.errno)`)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.MemoryDenyWriteExecute = true
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3 under --memory-deny-write-execute: %v\n%s", err, errb.String())
	}
	if want := "[\"o\"]\nrwx 1\n"; out.String() != want {
		t.Errorf("python3: got %q, want %q", out.String(), want)
	}

	// A ready-made filter that allows RWX is refused, never run.
	f, err := seccomp.Compile(allow, native, seccomp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmd, stdout, _ := selfCmd(t, allow, "wx")
	cmd.Filter = f
	cmd.MemoryDenyWriteExecute = true
	err = cmd.Run()
	if se, ok := err.(*launch.StartError); !ok || se.Kind != launch.ErrFilter || stdout.Len() != 0 {
		t.Errorf("a filter allowing RWX with MemoryDenyWriteExecute: %v (output %q), want ErrFilter and no run", err, stdout)
	}
}
