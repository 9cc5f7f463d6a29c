package analyze_test

import (
	"errors"
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

// TestRaw: a program without a C library, whose every call the test
// knows: the analysis finds exactly those (and the vDSO's fallbacks),
// through loops and a wrapper that takes the number as an argument.
func TestRaw(t *testing.T) {
	gcc := testenv.Tool(t, "gcc", "gcc")
	for _, opt := range []string{"-O0", "-O2"} {
		t.Run(opt, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "raw")
			if b, err := exec.Command(gcc, opt, "-static", "-nostdlib", "-fno-pie", "-no-pie", "-o", out, "testdata/raw.c").CombinedOutput(); err != nil {
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
			want := []string{"exit_group", "getpid", "getppid", "write"}
			if !slices.Equal(got, want) {
				t.Errorf("calls %v, want %v\n%+v", got, want, r)
			}
			if len(r.Unresolved) > 0 {
				t.Errorf("unresolved: %v", r.Unresolved)
			}
		})
	}
}

// TestNotAnalysable: what the analysis cannot read is an error that says
// why, never an empty result.
func TestNotAnalysable(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755)
	for _, p := range []string{script, "/nonexistent/program"} {
		r, err := analyze.Analyze(p, analyze.Options{})
		if r != nil || !errors.Is(err, analyze.ErrNotAnalysable) || !strings.Contains(err.Error(), p) {
			t.Errorf("Analyze(%s) = %v, %v; want ErrNotAnalysable naming the file", p, r, err)
		}
	}
}

func TestResultText(t *testing.T) {
	r := &analyze.Result{Calls: []analyze.Call{
		{Arch: arch.X86_64, Name: "write", Nr: 1, From: "prog:main.main"},
		{Arch: arch.AARCH64, Name: "openat", Nr: 56, From: "libc.so.6:fopen"},
	}}
	want := "x86_64\twrite\tprog:main.main\naarch64\topenat\tlibc.so.6:fopen\n"
	if got := r.Text(); got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if (&analyze.Result{}).Text() != "" {
		t.Error("no calls: want no text")
	}
}

func TestParseLibraryPath(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	file := filepath.Join(a, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := analyze.ParseLibraryPath(a+string(filepath.ListSeparator)+string(filepath.ListSeparator)+b, a)
	if err != nil || !slices.Equal(got, []string{a, b, a}) {
		t.Errorf("ParseLibraryPath = %q, %v; want %q", got, err, []string{a, b, a})
	}
	if got, err := analyze.ParseLibraryPath(); got != nil || err != nil {
		t.Errorf("ParseLibraryPath() = %q, %v", got, err)
	}
	for _, bad := range []string{file, filepath.Join(a, "none")} {
		if _, err := analyze.ParseLibraryPath(b + string(filepath.ListSeparator) + bad); err == nil || err.Error() != bad+": not a directory" {
			t.Errorf("ParseLibraryPath(%s): %v", bad, err)
		}
	}
}

// TestCacheWrittenWhole: the models of a program's libraries are cached
// by build ID, each through a temporary file of its own, so that a
// temporary file another command is writing for the same library (here
// one in the way) neither blocks the cache nor mixes into it; a second
// analysis reads the cache and finds the same calls.
func TestCacheWrittenWhole(t *testing.T) {
	if _, err := os.Stat("/bin/true"); err != nil {
		t.Skip(err)
	}
	cache := t.TempDir()
	first, err := analyze.Analyze("/bin/true", analyze.Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	models, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	if len(models) == 0 {
		t.Fatalf("nothing cached for /bin/true's libraries %v", first.Libraries)
	}
	for _, m := range models {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
		id, _, _ := strings.Cut(filepath.Base(m), ".")
		if err := os.Mkdir(filepath.Join(cache, id+".tmp"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := analyze.Analyze("/bin/true", analyze.Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		if _, err := os.Stat(m); err != nil {
			t.Errorf("not cached again: %v", err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "*.*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	second, err := analyze.Analyze("/bin/true", analyze.Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first.Names(), second.Names()) {
		t.Errorf("from the cache %v, analysed %v", second.Names(), first.Names())
	}
}
