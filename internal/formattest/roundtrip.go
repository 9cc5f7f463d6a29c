package formattest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/profile"
)

// Codec is one profile format's reader and writer. M is what the format
// carries beside the profile (a SeccompProfile's name and namespace, say;
// struct{} when nothing). Format reports a loss as an error: the inputs of
// a round trip are expressible.
type Codec[M comparable] struct {
	Parse  func(name string, data []byte) (*profile.Profile, M, error)
	Format func(p *profile.Profile, meta M) ([]byte, error)
}

// RoundTrip checks every input file: Format(Parse(x)) equals the golden
// file golden(x) (rewritten first when update is set), Format is stable
// on its own output, and Parse(Format(p)) is p with the same M. It fails
// when there are fewer than min inputs.
func RoundTrip[M comparable](t *testing.T, inputs []string, golden func(string) string, update bool, min int, c Codec[M]) {
	t.Helper()
	if len(inputs) < min {
		t.Fatalf("%d round-trip inputs, want at least %d", len(inputs), min)
	}
	for _, f := range inputs {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, meta, err := c.Parse(filepath.Base(f), data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Format(p, meta)
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			g := golden(f)
			if update {
				if err := os.WriteFile(g, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(g)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("Format(Parse(%s)) differs from %s (run go test -update and review the diff):\n%s", f, g, out)
			}
			q, meta2, err := c.Parse("formatted", out)
			if err != nil {
				t.Fatalf("Parse(Format(p)): %v", err)
			}
			if !reflect.DeepEqual(p, q) || meta != meta2 {
				t.Errorf("Parse(Format(p)) != p:\n%+v %+v\n%+v %+v", p, meta, q, meta2)
			}
			again, err := c.Format(q, meta2)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("Format is not stable on its own output (%v):\n%s", err, again)
			}
		})
	}
}

// Glob returns the files matching pattern that do not end in ".golden".
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Ext(f) != ".golden" {
			out = append(out, f)
		}
	}
	return out
}

// NoMeta adapts a Parse of a format that carries nothing beside the
// profile.
func NoMeta(parse func(string, []byte) (*profile.Profile, error)) func(string, []byte) (*profile.Profile, struct{}, error) {
	return func(name string, data []byte) (*profile.Profile, struct{}, error) {
		p, err := parse(name, data)
		return p, struct{}{}, err
	}
}

// Lossless turns a Format's losses into an error.
func Lossless(out []byte, losses []profile.Loss, err error) ([]byte, error) {
	if err == nil && len(losses) > 0 {
		err = fmt.Errorf("losses: %v", losses)
	}
	return out, err
}

// Refuses checks that parse refuses every input In, read as name: no
// profile, and the error Want (when Want ends in "...", an error that
// begins with the rest), a *profile.SyntaxError (located).
func Refuses(t *testing.T, name string, parse func(name string, data []byte) (*profile.Profile, error), bad []struct{ In, Want string }) {
	t.Helper()
	for _, tc := range bad {
		p, err := parse(name, []byte(tc.In))
		if p != nil || err == nil {
			t.Errorf("%q: no error", tc.In)
			continue
		}
		if want, prefix := strings.CutSuffix(tc.Want, "..."); prefix && !strings.HasPrefix(err.Error(), want) || !prefix && err.Error() != want {
			t.Errorf("%q:\n got %s\nwant %s", tc.In, err, tc.Want)
		}
		if se := (*profile.SyntaxError)(nil); !errors.As(err, &se) {
			t.Errorf("%q: %T is not a *profile.SyntaxError", tc.In, err)
		}
	}
}

// FuzzParse is the fuzz test of a format's reader: the files seeds and
// the inputs extra seed the corpus; every input parses to a profile
// exactly when Parse returns no error, and a parsed profile that
// writable accepts (nil: every one; writable may set the M that Format
// is given) is written by Format without an error, reads back as the
// same profile and M, and Format is stable on its own output.
func FuzzParse[M comparable](f *testing.F, seeds []string, c Codec[M], writable func(p *profile.Profile, m *M) bool, extra ...string) {
	for _, file := range seeds {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, meta, err := c.Parse("fuzz", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned %v and %v", p, err)
		}
		if err != nil || writable != nil && !writable(p, &meta) {
			return
		}
		out, err := c.Format(p, meta)
		if err != nil {
			t.Fatalf("Format of a parsed profile: %v", err)
		}
		q, meta2, err := c.Parse("formatted", out)
		if err != nil {
			t.Fatalf("Parse(Format(p)): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, q) || meta != meta2 {
			t.Fatalf("Parse(Format(p)) != p:\n%+v %+v\n%+v %+v\n%s", p, meta, q, meta2, out)
		}
		if again, err := c.Format(q, meta2); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Format is not stable on its own output (%v):\n%s", err, again)
		}
	})
}
