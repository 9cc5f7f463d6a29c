package strace

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

func names(rec *record.Recording) []string {
	var out []string
	for _, c := range rec.Calls() {
		out = append(out, c.Arch.String()+":"+c.Name)
	}
	return out
}

func TestReadMixed(t *testing.T) {
	f, err := os.Open("testdata/mixed.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec := record.New(arch.X86_64)
	skipped, err := Read(rec, "mixed.txt", f)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(names(rec), " ")
	want := "x86:_llseek x86:getpgrp x86:socket x86_64:brk x86_64:execve x86_64:exit_group x86_64:getcwd x86_64:set_robust_list x86_64:sysinfo x86_64:wait4"
	if got != want {
		t.Errorf("calls:\n got %s\nwant %s", got, want)
	}
	if len(rec.Unknown) != 1 || rec.Unknown[0] != "x86:999" {
		t.Errorf("unknown %v, want [x86:999]", rec.Unknown)
	}
	var msgs []string
	for _, e := range skipped {
		var se *profile.SyntaxError
		if !errors.As(e, &se) {
			t.Errorf("skipped line error %T, want *profile.SyntaxError", e)
		}
		msgs = append(msgs, e.Error())
	}
	wantMsgs := []string{
		`mixed.txt:17: not a system call line: "this is not strace output"`,
		`mixed.txt:18: truncated system call line: "[pid  4243] openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY"`,
		`mixed.txt:19: x86_64 has no system call "frobnicate"`,
	}
	if strings.Join(msgs, "\n") != strings.Join(wantMsgs, "\n") {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(wantMsgs, "\n"))
	}
}

func buildC(t *testing.T, src string, flags ...string) string {
	t.Helper()
	gcc := testenv.Tool(t, "gcc", "gcc")
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(src, ".c"))
	args := append([]string{"-O1", "-o", out, filepath.Join("..", "testdata", src)}, flags...)
	if b, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		if slices.Contains(flags, "-m32") {
			testenv.Missing(t, "gcc -m32 -static: %v\n%s (Debian packages gcc-multilib, libc6-dev-i386)", err, b)
		}
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	return out
}

// TestReadRealStrace traces record's completeness workload (a thread, a
// vfork+exec child, a fork child, an i386 child when the kernel runs
// i386 programs) with strace in several output modes and checks that
// each reads without a skipped line into the set strace -f -c counts.
func TestReadRealStrace(t *testing.T) {
	if a, _ := arch.Native(); a != arch.X86_64 {
		t.Skip("the workload's i386 child needs an x86_64 machine")
	}
	strace := testenv.Tool(t, "strace", "strace")
	argv := []string{buildC(t, "workload.c", "-pthread")}
	if testenv.RunsI386(t) {
		argv = append(argv, buildC(t, "compat32.c", "-m32", "-static"))
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(strace, append(args, argv...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("strace %v: %v\n%s", args, err, b)
		}
	}
	read := func(files ...string) *record.Recording {
		t.Helper()
		rec := record.New(arch.X86_64)
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			skipped, err := Read(rec, f, fh)
			fh.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range skipped {
				t.Errorf("%v", e)
			}
		}
		return rec
	}
	run("-f", "-c", "-o", filepath.Join(dir, "c.txt"))
	want := read(filepath.Join(dir, "c.txt"))
	if !want.Has(arch.X86_64, "sysinfo") || !want.Has(arch.X86_64, "times") {
		t.Fatalf("strace -c table read as %v", names(want))
	}
	type traced struct {
		mode []string
		rec  *record.Recording
	}
	var modes []traced
	for _, mode := range [][]string{
		{"-f"},
		{"-f", "-e", "quiet=none"},
		{"-f", "-tt", "-i"},
		{"-f", "-ttt", "-y"},
		{"-f", "-r", "-k"},
		{"-ff"},
	} {
		name := strings.ReplaceAll(strings.Join(mode, ""), "=", "")
		out := filepath.Join(dir, name)
		run(append(mode, "-o", out)...)
		files := []string{out}
		if mode[0] == "-ff" {
			files, _ = filepath.Glob(out + ".*")
		}
		got := read(files...)
		for _, c := range want.Calls() {
			if !got.Has(c.Arch, c.Name) {
				t.Errorf("strace %v: %s %s missing (strace -c counts it)", mode, c.Arch, c.Name)
			}
		}
		modes = append(modes, traced{mode, got})
	}
	t.Run("i386", func(t *testing.T) {
		testenv.NeedI386(t)
		if !want.Has(arch.X86, "getpgrp") {
			t.Errorf("strace -c table read as %v, without the i386 child's getpgrp", names(want))
		}
		for _, m := range modes {
			if !m.rec.Has(arch.X86, "socket") || m.rec.Has(arch.X86_64, "getpgrp") {
				t.Errorf("strace %v: the i386 child's calls not under x86: %v", m.mode, names(m.rec))
			}
		}
	})
}

// TestReadNotText: a program or a compressed file given for strace output
// is refused whole, on line 1, with nothing recorded: read line by line,
// its chance matches (a name and a parenthesis in a binary) would become
// rules.
func TestReadNotText(t *testing.T) {
	self, err := os.ReadFile(os.Args[0]) // this test binary: an ELF file
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in, want string }{
		{"program", string(self), "prog:1: not strace output: a NUL byte on the first line (a binary file)"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03read(0, \"\", 1) = 0\n", "gzip:1: not strace output: gzip-compressed (decompress it first)"},
		{"binary with a call line", "\x00\x01\x02\nread(0, \"\", 1) = 0\n", "binary with a call line:1: not strace output: a NUL byte on the first line (a binary file)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.name
			if name == "program" {
				name = "prog"
			}
			rec := record.New(arch.X86_64)
			_, err := Read(rec, name, strings.NewReader(tc.in))
			var se *profile.SyntaxError
			if !errors.As(err, &se) || err.Error() != tc.want {
				t.Fatalf("err = %v (%T), want %q", err, err, tc.want)
			}
			if c := rec.Calls(); len(c) != 0 {
				t.Errorf("recorded %v from a file that is not strace output", names(rec))
			}
		})
	}
	// A NUL later on (a log cut short by a crash, padded with zeros) is a
	// skipped line, not a refusal.
	rec := record.New(arch.X86_64)
	skipped, err := Read(rec, "cut", strings.NewReader("1 read(0, \"\", 1) = 0\n\x00\x00\x00\n"))
	if err != nil || len(skipped) != 1 || len(rec.Calls()) != 1 {
		t.Errorf("a NUL after line 1: err %v, skipped %v, calls %v", err, skipped, names(rec))
	}
}
