package lines_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/syscage/syscage/internal/lines"
	"github.com/syscage/syscage/internal/testenv"
)

// expect is what a Reader must return for in: every line of in, those
// longer than max dropped and marked long.
type want struct {
	text string
	long bool
}

func expect(in string, max int) []want {
	if in == "" {
		return nil
	}
	parts := strings.Split(strings.TrimSuffix(in, "\n"), "\n")
	out := make([]want, len(parts))
	for i, p := range parts {
		if len(p) > max {
			out[i] = want{long: true}
		} else {
			out[i] = want{text: p}
		}
	}
	return out
}

// check reads in with a limit of max through r's wrapper and compares
// with expect; the Reader ends, and says so again.
func check(t *testing.T, in string, max int, wrap func(io.Reader) io.Reader) {
	t.Helper()
	rd := lines.NewReader(wrap(strings.NewReader(in)), max)
	w := expect(in, max)
	for i := 0; ; i++ {
		text, long, err := rd.Next()
		if err == io.EOF {
			if i != len(w) {
				t.Fatalf("%q (max %d): EOF after %d lines, want %d", in, max, i, len(w))
			}
			break
		}
		if err != nil {
			t.Fatalf("%q: line %d: %v", in, i+1, err)
		}
		if i >= len(w) {
			t.Fatalf("%q (max %d): line %d %q beyond the %d lines", in, max, i+1, text, len(w))
		}
		if text != w[i].text || long != w[i].long || rd.Line() != i+1 {
			t.Fatalf("%q (max %d): line %d = %q, long %v, Line %d; want %q, long %v", in, max, i+1, text, long, rd.Line(), w[i].text, w[i].long)
		}
	}
	if _, _, err := rd.Next(); err != io.EOF {
		t.Fatalf("%q: Next after EOF: %v", in, err)
	}
}

func TestReader(t *testing.T) {
	for _, in := range []string{"", "\n", "a", "a\n", "abc\nde\n", "abcd\nabcde\nab", "abcdef", "\n\n\nxxxxxxxxxx\n", "abcd\r\n"} {
		for _, max := range []int{1, 3, 4, 5, 100} {
			check(t, in, max, func(r io.Reader) io.Reader { return r })
			check(t, in, max, iotest.OneByteReader)
			check(t, in, max, iotest.DataErrReader)
		}
	}
}

// FuzzReader: whatever the input and limit, the Reader returns exactly
// its lines, drops those over the limit, and ends.
func FuzzReader(f *testing.F) {
	f.Add("abc\nde\n", 2)
	f.Add(strings.Repeat("x", 70000)+"\ny", 65536)
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max < 1 || max > 1<<20 {
			return
		}
		check(t, in, max, iotest.HalfReader)
	})
}

// TestReadError: a read error ends the input, and is returned again
// (a reader that fails forever does not loop).
func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	rd := lines.NewReader(io.MultiReader(strings.NewReader("a\nbc"), iotest.ErrReader(boom)), 10)
	if text, _, err := rd.Next(); text != "a" || err != nil {
		t.Fatalf("first line %q, %v", text, err)
	}
	for range 3 {
		if _, _, err := rd.Next(); !errors.Is(err, boom) {
			t.Fatalf("Next = %v, want the read error", err)
		}
	}
}

// TestBoundedMemory: a line of 256 MiB costs no more than about the
// limit in memory.
func TestBoundedMemory(t *testing.T) {
	const size = 256 << 20
	rd := lines.NewReader(io.MultiReader(testenv.Xs(size), strings.NewReader("\nok\n")), 1<<20)
	grew := testenv.Allocated(func() {
		if _, long, err := rd.Next(); !long || err != nil {
			t.Fatalf("long line: %v, %v", long, err)
		}
		if text, _, err := rd.Next(); text != "ok" || err != nil {
			t.Fatalf("next line %q, %v", text, err)
		}
	})
	if grew > 8<<20 {
		t.Errorf("a %d MiB line allocated %d MiB", size>>20, grew>>20)
	}
}
