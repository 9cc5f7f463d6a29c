package audit_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/syscage/syscage/audit"
)

// FuzzParseLine: no panic; an error only without an event; for every
// event, Format gives a line that parses back to it, and the JSON form
// round-trips.
func FuzzParseLine(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, file := range files {
		if filepath.Ext(file) == ".golden" || filepath.Base(file) == "SOURCE" {
			continue
		}
		fh, err := os.Open(file)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			f.Add(sc.Text())
		}
		fh.Close()
	}
	f.Add("type=SECCOMP msg=audit(1.000:1): subj=a b c=d pid=1 comm=\"\" exe=(null) arch=c000003e syscall=-1 code=0x0")
	f.Add(`{"MESSAGE":[83,69,67,67,79,77,80,32,97,117,105,100,61,48,32,97,114,99,104,61,48,32,115,121,115,99,97,108,108,61,48,32,99,111,100,101,61,48]}`)
	f.Fuzz(func(t *testing.T, line string) {
		e, ok, err := audit.ParseLine(line)
		if err != nil && (ok || e != (audit.Event{})) {
			t.Fatalf("error %v with an event %+v", err, e)
		}
		if !ok {
			return
		}
		out := e.Format()
		back, ok, err := audit.ParseLine(out)
		if err != nil || !ok {
			t.Fatalf("ParseLine(Format(e)) = %v, %v\n%s", ok, err, out)
		}
		if back.Syscall != e.Syscall {
			// Only an ENRICHED SYSCALL= names calls the tables lack,
			// and Format does not write it.
			back.Syscall = e.Syscall
		}
		if strings.Contains(e.Subj, `"`) && strings.ContainsAny(e.Subj, " =") {
			back.Subj = e.Subj // cannot be written back (see Format)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("ParseLine(Format(e)) != e:\n got %+v\nwant %+v\n%s", back, e, out)
		}
		if !utf8.ValidString(e.Comm + e.Exe + e.Subj) {
			return // JSON holds text: invalid UTF-8 becomes U+FFFD
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var j audit.Event
		if err := json.Unmarshal(b, &j); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		j.Syscall = e.Syscall
		if !reflect.DeepEqual(j, e) {
			t.Fatalf("JSON round trip:\n got %+v\nwant %+v", j, e)
		}
	})
}

// FuzzReader: whatever the input, the Reader ends: at most one result
// per line and then io.EOF, every error in between about one line
// (Skippable), every record's line within the input. Read through a
// reader that fails once the input is spent, it ends with that error,
// and returns it again rather than loop.
func FuzzReader(f *testing.F) {
	f.Add("audit: type=1326 audit(1.000:1): arch=c000003e syscall=63 code=0x7ffc0000\nx\n", false)
	f.Add("Dec 07 20:35:09 vm evil[7]: hello\n                             kernel: audit: type=1326 audit(1.000:1): arch=c000003e syscall=63 code=0x7ffc0000", true)
	f.Add(strings.Repeat("{", 5000), false)
	f.Fuzz(func(t *testing.T, in string, failing bool) {
		var r io.Reader = strings.NewReader(in)
		boom := errors.New("boom")
		if failing {
			r = io.MultiReader(r, iotest.ErrReader(boom))
		}
		rd := audit.NewReader(r, "in")
		max := strings.Count(in, "\n") + 1
		for calls := 1; ; calls++ {
			_, err := rd.Next()
			if err == io.EOF && !failing || failing && errors.Is(err, boom) {
				if _, again := rd.Next(); again == nil || again.Error() != err.Error() {
					t.Fatalf("Next after the end: %v, want %v again", again, err)
				}
				return
			}
			if err != nil && !audit.Skippable(err) {
				t.Fatalf("Next: %v", err)
			}
			if calls > max {
				t.Fatalf("%d results from %d lines", calls, max)
			}
		}
	})
}
