package formats_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/syscage/syscage/profile/formats"
)

// TestSource opens a unit whose setting systemd ignores twice, from a
// file and from standard input: each name warns once, standard input is
// read once and every "-" is the same profile.
func TestSource(t *testing.T) {
	unit := "[Service]\nSystemCallFilter=@system-service\n[Install]\nSystemCallFilter=uname\n"
	path := filepath.Join(t.TempDir(), "app.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	stdin := &countingReader{r: strings.NewReader(unit)}
	s := &formats.Source{Stdin: stdin, Warn: func(w string) { warnings = append(warnings, w) }}
	for range 2 {
		for _, ref := range []string{path, "-"} {
			p, f, err := s.Open(ref, "")
			if err != nil || f != formats.Systemd || p == nil {
				t.Fatalf("Open(%s): %v, %v", ref, f, err)
			}
		}
	}
	if len(warnings) != 2 || !strings.HasPrefix(warnings[0], path+":4:1: ") || !strings.HasPrefix(warnings[1], "<stdin>:4:1: ") {
		t.Errorf("warnings %q, want one for each name", warnings)
	}
	if stdin.reads != 2 { // the data, then EOF
		t.Errorf("standard input read %d times", stdin.reads)
	}

	// Without a Warn the warnings are dropped; without Stdin "-" fails.
	if _, _, err := (&formats.Source{}).Open(path, ""); err != nil {
		t.Errorf("Open without Warn: %v", err)
	}
	if _, _, err := (&formats.Source{}).Open("-", ""); err == nil || !strings.Contains(err.Error(), "no standard input") {
		t.Errorf("Open(-) without Stdin: %v", err)
	}
	if _, _, err := (&formats.Source{Stdin: strings.NewReader("")}).Open("-", ""); err == nil || !strings.HasPrefix(err.Error(), "<stdin>: empty") {
		t.Errorf("Open(-) of nothing: %v", err)
	}
	if _, _, err := (&formats.Source{Stdin: strings.NewReader("{\n\"defaultAction\": 7}")}).Open("-", ""); err == nil || !strings.HasPrefix(err.Error(), "<stdin>:2:") {
		t.Errorf("Open(-) of a bad profile: %v", err)
	}

	// Concurrent opens of "-" read it once.
	stdin = &countingReader{r: strings.NewReader(unit)}
	s = &formats.Source{Stdin: stdin}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, _, errs[i] = s.Open("-", "") })
	}
	wg.Wait()
	if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) || stdin.reads != 2 {
		t.Errorf("concurrent opens: %v, %d reads", errs, stdin.reads)
	}
}

type countingReader struct {
	r     *strings.Reader
	reads int
}

func (c *countingReader) Read(b []byte) (int, error) {
	c.reads++
	return c.r.Read(b)
}
