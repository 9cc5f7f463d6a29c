package strace

import (
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// TestLongLine: a line longer than MaxLine is skipped with its file and
// line, and the lines after it are read.
func TestLongLine(t *testing.T) {
	in := io.MultiReader(
		strings.NewReader("openat(AT_FDCWD, \"/x\", O_RDONLY) = 3\nwrite(1, \""),
		testenv.Xs(MaxLine+10),
		strings.NewReader("\", 1) = 1\nclose(3) = 0\n"),
	)
	rec := record.New(arch.X86_64)
	skipped, err := Read(rec, "big.trace", in)
	if err != nil {
		t.Fatal(err)
	}
	var se *profile.SyntaxError
	if len(skipped) != 1 || !errors.As(skipped[0], &se) || se.Line != 2 || !strings.HasPrefix(se.Error(), "big.trace:2: line longer than") {
		t.Fatalf("skipped %v, want line 2", skipped)
	}
	if got, want := names(rec), []string{"x86_64:close", "x86_64:openat"}; !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
}

// TestSkippedBounded: a flood of bad lines comes back as the first
// MaxSkipped, by line, and a count that with them makes the total.
func TestSkippedBounded(t *testing.T) {
	const n = 5000
	var b strings.Builder
	b.WriteString("read(0, \"\", 1) = 0\n")
	for range n {
		b.WriteString("garbage\n")
	}
	rec := record.New(arch.X86_64)
	skipped, err := Read(rec, "g", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != MaxSkipped+1 || errs.CountSkipped(skipped) != n {
		t.Fatalf("%d skipped errors standing for %d lines, want %d and %d", len(skipped), errs.CountSkipped(skipped), MaxSkipped+1, n)
	}
	for i, s := range skipped[:MaxSkipped] {
		var se *profile.SyntaxError
		if !errors.As(s, &se) || se.Line != i+2 {
			t.Fatalf("skipped[%d] = %v, want line %d", i, s, i+2)
		}
	}
}

// TestPendingBounded: the calls a process makes between two execve wait
// for its ABI to be known, each name once: a long trace does not stay in
// memory.
func TestPendingBounded(t *testing.T) {
	const n = 300000
	in := &testenv.Repeat{N: n, Line: "4242  read(3, \"abc\", 3) = 3\n"}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := record.New(arch.X86_64)
	if _, err := Read(rec, "long", in); err != nil {
		t.Fatal(err)
	}
	if got := names(rec); !slices.Equal(got, []string{"x86_64:read"}) {
		t.Fatalf("recorded %v", got)
	}
	if grew := int64(in.Live) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("%d calls: %d MiB stayed live", n, grew>>20)
	}
}
