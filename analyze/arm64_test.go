package analyze_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
)

// arm64Lib is the arm64 C library of Debian's cross toolchain.
const arm64Lib = "/usr/aarch64-linux-gnu/lib"

// wantCalls checks that r is arm64 and finds every call in want, and
// that every unresolved item in wantUnresolved is reported.
func wantCalls(t *testing.T, r *analyze.Result, want, wantUnresolved []string) {
	t.Helper()
	found := r.Names()
	for _, c := range r.Calls {
		if c.Arch != arch.AARCH64 {
			t.Errorf("call %s of ABI %s, want aarch64", c.Name, c.Arch)
		}
	}
	for _, w := range want {
		if !slices.Contains(found, w) {
			t.Errorf("%s not found: %v\nunresolved: %v", w, found, r.Unresolved)
		}
	}
	for _, w := range wantUnresolved {
		if !slices.ContainsFunc(r.Unresolved, func(u string) bool { return strings.Contains(u, w) }) {
			t.Errorf("unresolved %q not reported: %v", w, r.Unresolved)
		}
	}
	t.Logf("%d calls, %d unresolved: %v", len(found), len(r.Unresolved), r.Unresolved)
}

// TestARM64Raw: an arm64 program without a C library, whose every call
// the test knows: the analysis finds exactly those (and the vDSO's
// calls), through a loop, MOVZ/MOVK constants and a wrapper that takes
// the number in x0; a number no table names is reported.
func TestARM64Raw(t *testing.T) {
	gcc := testenv.Tool(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")
	for _, opt := range []string{"-O0", "-O2"} {
		t.Run(opt, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "raw")
			if b, err := exec.Command(gcc, opt, "-static", "-nostdlib", "-o", out, "testdata/raw_arm64.c").CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, b)
			}
			r, err := analyze.Analyze(out, analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range r.Calls {
				if c.From != "vdso fallback" {
					got = append(got, c.Name)
				}
			}
			if want := []string{"exit_group", "getpid", "getppid", "write"}; !slices.Equal(got, want) {
				t.Errorf("calls %v, want %v\n%+v", got, want, r)
			}
			if len(r.Unresolved) != 1 || !strings.Contains(r.Unresolved[0], "number 65630, which no table names") {
				t.Errorf("unresolved %q, want the one number 65630", r.Unresolved)
			}
		})
	}
}

// TestARM64Libc: a C program linked with the arm64 glibc, statically
// and dynamically (its libc.so.6 and loader analysed as the model), is
// found to make the calls its source makes, also the one through
// syscall(), and the syscall() with a number computed at run time is
// reported.
func TestARM64Libc(t *testing.T) {
	gcc := testenv.Tool(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")
	testenv.Tool(t, arm64Lib+"/libc.so.6", "libc6-dev-arm64-cross")
	want := []string{"uname", "openat", "write", "close", "getppid", "exit_group"}
	for _, tc := range []struct {
		name  string
		flags []string
	}{{"static", []string{"-static"}}, {"dynamic", nil}, {"dynamic, calls through the GOT", []string{"-fno-plt"}}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "libc")
			args := append([]string{"-O2", "-o", out, "testdata/libc.c"}, tc.flags...)
			if b, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, b)
			}
			r, err := analyze.Analyze(out, analyze.Options{LibraryPath: []string{arm64Lib}, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			wantCalls(t, r, want, []string{"wrapper syscall with a number computed at run time"})
			if tc.flags == nil {
				if !slices.Contains(r.Libraries, arm64Lib+"/libc.so.6") || !slices.Contains(r.Libraries, arm64Lib+"/ld-linux-aarch64.so.1") {
					t.Errorf("libraries %v, want the arm64 loader and libc.so.6", r.Libraries)
				}
				// Without the arm64 libraries, the machine's own x86_64
				// libc.so.6 is not taken for them: what is missing is said.
				r, err := analyze.Analyze(out, analyze.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Libraries) != 0 {
					t.Errorf("libraries %v of another architecture analysed", r.Libraries)
				}
				wantCalls(t, r, nil, []string{"library libc.so.6, needed by libc, not found", "the dynamic loader"})
			}
		})
	}
}

// TestARM64Go: a Go program cross-compiled for arm64 is found to make
// the calls its source makes (through the syscall package's and the
// runtime's Syscall6, register and stack ABIs), and every call the
// analysis finds in the same program built for x86_64 that arm64 has.
func TestARM64Go(t *testing.T) {
	dir := t.TempDir()
	build := func(goarch string) string {
		out := filepath.Join(dir, "goprog-"+goarch)
		cmd := exec.Command("go", "build", "-o", out, "./testdata/goprog")
		cmd.Env = append(os.Environ(), "GOARCH="+goarch, "GOOS=linux", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		return out
	}
	r, err := analyze.Analyze(build("arm64"), analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Go {
		t.Error("not seen as a Go program")
	}
	wantCalls(t, r, []string{"openat", "read", "close", "write", "getpid", "getppid", "gettid", "exit_group",
		"rt_sigaction", "clone", "futex", "mmap", "epoll_create1", "eventfd2", "rt_sigreturn"},
		// The runtime replays on every thread a call whose number it is
		// given at run time: reported; every other number is resolved
		// (through large frames, partial stores, calls that never return).
		[]string{"runtime.runPerThreadSyscall calls the system-call wrapper"})
	for _, u := range r.Unresolved {
		if !strings.Contains(u, "runtime.runPerThreadSyscall") {
			t.Errorf("unresolved: %s", u)
		}
	}
	x86, err := analyze.Analyze(build("amd64"), analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := r.Names()
	for _, n := range x86.Names() {
		if _, ok := arch.AARCH64.SyscallNumber(n); ok && !slices.Contains(found, n) {
			t.Errorf("%s found on x86_64, not on arm64", n)
		}
	}
	t.Logf("arm64 %d calls, x86_64 %d", len(found), len(x86.Names()))
}

// TestARM64GoLarge: the same comparison on a large Go program (syscage
// itself), whose data holds many words that point into the text: every
// call the x86_64 build can make that arm64 has and the arm64 build
// contains is found, and only numbers computed at run time are
// unresolved.
func TestARM64GoLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds syscage twice")
	}
	var a64Syms []string
	build := func(goarch string) *analyze.Result {
		out := testenv.BuildSyscage(t, "GOARCH="+goarch, "GOOS=linux", "CGO_ENABLED=0")
		r, err := analyze.Analyze(out, analyze.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if goarch == "arm64" {
			f, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			syms, _ := f.Symbols()
			for _, s := range syms {
				a64Syms = append(a64Syms, s.Name)
			}
			f.Close()
		}
		return r
	}
	a64, x86 := build("arm64"), build("amd64")
	found := a64.Names()
	for _, c := range x86.Calls {
		if _, ok := arch.AARCH64.SyscallNumber(c.Name); !ok || slices.Contains(found, c.Name) {
			continue
		}
		// A call the amd64 build makes from a function the arm64 build
		// has (the linker keeps what is reachable on each).
		_, fn, _ := strings.Cut(c.From, ":")
		if slices.Contains(a64Syms, fn) || !strings.Contains(c.From, ":") {
			t.Errorf("%s found on x86_64 (from %s), not on arm64", c.Name, c.From)
		} else {
			t.Logf("%s: %s is not in the arm64 build", c.Name, fn)
		}
	}
	for _, u := range a64.Unresolved {
		// Named functions only: a piece of one cut off by a word of
		// data would be an address.
		if !strings.Contains(u, "calls the system-call wrapper") || strings.Contains(u, ": 0x") {
			t.Errorf("unresolved: %s", u)
		}
	}
	t.Logf("arm64 %d calls, %d unresolved; x86_64 %d calls, %d unresolved", len(found), len(a64.Unresolved), len(x86.Names()), len(x86.Unresolved))
}
