package audit_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/testenv"
)

// rec is the part of a kernel record after "type=1326 ".
const rec = `audit(1795984285.335:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5452 comm="gen" exe="/tmp/gen" sig=0 arch=c000003e syscall=63 compat=0 ip=0x40882e code=0x7ffc0000`

// fields is the same record in the audit transport's form.
const fields = `auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5452 comm="gen" exe="/tmp/gen" sig=0 arch=c000003e syscall=63 compat=0 ip=0x40882e code=0x7ffc0000`

// TestOrigin: a record counts only where the line's own header shows
// that the kernel wrote it; the same text logged by a program is an
// *UntrustedError, and a record quoted by another audit record is
// skipped.
func TestOrigin(t *testing.T) {
	const (
		kernel = iota
		forged
		skipped
	)
	for _, tc := range []struct {
		name string
		line string
		want int
	}{
		{"kmsg", "5,341,142752766,-;audit: type=1326 " + rec, kernel},
		{"kmsg written by a program", "12,341,142752766,-;audit: type=1326 " + rec, forged},
		{"kmsg with a priority but user facility", "14,341,142752766,-;audit: type=1326 " + rec, forged},
		{"dmesg", "[  142.752751] audit: type=1326 " + rec, kernel},
		{"dmesg -T", "[Sun Nov 29 20:35:29 2026] audit: type=1326 " + rec, kernel},
		{"dmesg -x", "kern  :notice: [  142.752751] audit: type=1326 " + rec, kernel},
		{"dmesg -x user facility", "user  :notice: [  142.752751] audit: type=1326 " + rec, forged},
		{"dmesg, a program's tag", "[  142.752751] myapp: audit: type=1326 " + rec, forged},
		{"bare", "audit: type=1326 " + rec, kernel},
		{"netlink form", "type=1326 " + rec, kernel},
		{"syslog", "Nov 29 20:35:29 vm kernel: audit: type=1326 " + rec, kernel},
		{"syslog, single-digit day", "Nov  9 20:35:29 vm kernel: [  142.752751] audit: type=1326 " + rec, kernel},
		{"rsyslog high precision", "2026-11-29T20:35:29.123456+00:00 vm kernel: audit: type=1326 " + rec, kernel},
		{"logger tag", "Nov 29 20:35:29 vm myapp[123]: audit: type=1326 " + rec, forged},
		{"logger tag without pid", "Nov 29 20:35:29 vm myapp: audit: type=1326 " + rec, forged},
		{"logger message naming the kernel", "Nov 29 20:35:29 vm myapp[123]: x kernel: audit: type=1326 " + rec, forged},
		{"logger message naming the kernel, no pid", "Nov 29 20:35:29 vm myapp: kernel: audit: type=1326 " + rec, forged},
		{"journal short, kernel tag with a pid", "Nov 29 20:35:29 vm kernel[123]: audit: type=1326 " + rec, forged},
		{"record text inside a message", "Nov 29 20:35:29 vm kernel: hello type=1326 " + rec, forged},
		{"journal short, audit transport", "Nov 29 20:35:29 vm audit[5452]: SECCOMP " + fields, forged},
		{"audit.log", "type=SECCOMP msg=" + rec, kernel},
		{"audit.log of a remote node", "node=web1 type=SECCOMP msg=" + rec, kernel},
		{"audit.log USER message quoting a record", "type=USER msg=audit(1795984285.335:9): pid=1 uid=0 auid=0 ses=1 msg='type=SECCOMP msg=" + rec + "'", forged},
		{"audit.log USER message quoting a kernel line", "type=USER msg=audit(1795984285.335:9): pid=1 uid=0 auid=0 ses=1 msg='x kernel: audit: type=1326 " + rec + "'", forged},
		{"audit.log node with spaces", "node=a b type=SECCOMP msg=" + rec, forged},
		{"audit.log ENRICHED, a record's text in the interpreted names", "type=SECCOMP msg=" + rec + "\x1dAUID=\"unset\" UID=\"x type=1326 audit(1.000:1): pid=1 arch=c000003e syscall=1 code=0\" ARCH=x86_64 SYSCALL=uname", kernel},
		{"audit.log of a remote node, ENRICHED", "node=web1 type=SECCOMP msg=" + rec + "\x1dAUID=\"unset\"", kernel},
		{"audit.log indented", " type=SECCOMP msg=" + rec, forged},
		{"audit.log empty node", "node= type=SECCOMP msg=" + rec, forged},
		{"journal json, kernel transport", `{"_TRANSPORT":"kernel","MESSAGE":"audit: type=1326 ` + strings.ReplaceAll(rec, `"`, `\"`) + `"}`, kernel},
		{"journal json, audit transport", `{"_TRANSPORT":"audit","_AUDIT_TYPE":"1326","MESSAGE":"SECCOMP ` + strings.ReplaceAll(fields, `"`, `\"`) + `"}`, kernel},
		{"journal json, syslog transport", `{"_TRANSPORT":"syslog","MESSAGE":"audit: type=1326 ` + strings.ReplaceAll(rec, `"`, `\"`) + `"}`, forged},
		{"journal json, stdout transport", `{"_TRANSPORT":"stdout","MESSAGE":"SECCOMP ` + strings.ReplaceAll(fields, `"`, `\"`) + `"}`, forged},
		{"journal json without a transport", `{"MESSAGE":"audit: type=1326 ` + strings.ReplaceAll(rec, `"`, `\"`) + `"}`, forged},
		{"journal json, kernel transport with text before", `{"_TRANSPORT":"kernel","MESSAGE":"x audit: type=1326 ` + strings.ReplaceAll(rec, `"`, `\"`) + `"}`, forged},
		{"journal json, audit USER record quoting one", `{"_TRANSPORT":"audit","_AUDIT_TYPE":"1107","MESSAGE":"SECCOMP ` + strings.ReplaceAll(fields, `"`, `\"`) + `"}`, forged},
		{"journal json, audit USER record quoting one inside", `{"_TRANSPORT":"audit","_AUDIT_TYPE":"1107","MESSAGE":"USER_AVC pid=1 msg='x SECCOMP ` + strings.ReplaceAll(fields, `"`, `\"`) + `'"}`, forged},
		{"journal json, an audit SYSCALL record", `{"_TRANSPORT":"audit","_AUDIT_TYPE":"1300","MESSAGE":"SYSCALL arch=c000003e syscall=63 success=yes"}`, skipped},
		// journalctl indents the further lines of a message; a program
		// makes them look like any of the kernel's headers.
		{"indented syslog", "                             Nov 29 20:35:29 vm kernel: audit: type=1326 " + rec, forged},
		{"indented kernel tag", "                             kernel: audit: type=1326 " + rec, forged},
		{"indented dmesg -x", "                             kern  :notice: [  1.000000] audit: type=1326 " + rec, forged},
		{"indented dmesg", "                             [  142.752751] audit: type=1326 " + rec, forged},
		{"indented bare", "  audit: type=1326 " + rec, forged},
		{"tab before kmsg", "\t5,341,142752766,-;audit: type=1326 " + rec, forged},
		{"kernel tag with no header", " kernel: audit: type=1326 " + rec, forged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok, err := audit.ParseLine(tc.line)
			var ue *audit.UntrustedError
			switch tc.want {
			case kernel:
				if !ok || err != nil || e.PID != 5452 || e.Syscall != "uname" {
					t.Errorf("ParseLine = %v, %v, %+v; want the kernel's record", ok, err, e)
				}
			case forged:
				if ok || !errors.As(err, &ue) || e != (audit.Event{}) {
					t.Errorf("ParseLine = %v, %v; want an *UntrustedError", ok, err)
				}
			case skipped:
				if ok || err != nil {
					t.Errorf("ParseLine = %v, %v; want the line skipped", ok, err)
				}
			}
		})
	}
}

// TestReadAllUntrusted: ReadAll keeps the kernel's records, skips the
// forged ones and says where they are; a flood of forged lines is
// counted, not kept one by one.
func TestReadAllUntrusted(t *testing.T) {
	var b strings.Builder
	b.WriteString("Nov 29 20:35:29 vm kernel: audit: type=1326 " + rec + "\n")
	for range 1000 {
		b.WriteString("Nov 29 20:35:30 vm logger[77]: audit: type=1326 " + rec + "\n")
	}
	events, skipped, err := audit.ReadAll(strings.NewReader(b.String()), "syslog")
	if err != nil || len(events) != 1 {
		t.Fatalf("ReadAll = %d events, %v; want 1", len(events), err)
	}
	if len(skipped) != audit.MaxSkipped+1 {
		t.Fatalf("%d skipped errors, want %d and a count", len(skipped), audit.MaxSkipped+1)
	}
	if got := skipped[0].Error(); !strings.HasPrefix(got, "syslog:2: seccomp record text in a line the kernel did not write (syslog tag \"logger[77]\")") {
		t.Errorf("first skipped: %s", got)
	}
	if got, want := skipped[audit.MaxSkipped].Error(), "980 more lines like these skipped"; got != want {
		t.Errorf("last skipped: %q, want %q", got, want)
	}
}

// TestLongLine: a line longer than any log's is reported and skipped,
// the records after it are read, and the Reader never holds more than
// about one line's bound in memory, however long the line.
func TestLongLine(t *testing.T) {
	const size = 64 << 20
	in := io.MultiReader(
		testenv.Xs(size),
		strings.NewReader("\naudit: type=1326 "+rec+"\n"+strings.Repeat("y", 3<<20)),
	)
	rd := audit.NewReader(in, "big")
	grew := testenv.Allocated(func() {
		var se *audit.SyntaxError
		if _, err := rd.Next(); !errors.As(err, &se) || se.Line != 1 || !strings.Contains(err.Error(), "big:1: line longer than") {
			t.Fatalf("first Next: %v, want a syntax error at line 1", err)
		}
		if e, err := rd.Next(); err != nil || e.PID != 5452 {
			t.Fatalf("second Next: %+v, %v, want the record of line 2", e, err)
		}
		if _, err := rd.Next(); !errors.As(err, &se) || se.Line != 3 {
			t.Fatalf("third Next: %v, want a syntax error at line 3 (a last line without a newline)", err)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("fourth Next: %v, want EOF", err)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("Next after EOF: %v, want EOF again", err)
		}
	})
	if grew > 16<<20 {
		t.Errorf("reading a %d MiB line allocated %d MiB", size>>20, grew>>20)
	}
}

// TestFilter: every field narrows; comm matches the task name or the
// executable's base name (the kernel cuts comm to 15 bytes).
func TestFilter(t *testing.T) {
	e := audit.Event{PID: 7, Comm: "longprogramname", Exe: "/usr/bin/longprogramname-server"}
	for _, tc := range []struct {
		f    audit.Filter
		want bool
	}{
		{audit.Filter{}, true},
		{audit.Filter{PID: 7}, true},
		{audit.Filter{PID: 8}, false},
		{audit.Filter{Comm: "longprogramname"}, true},
		{audit.Filter{Comm: "longprogramname-server"}, true},
		{audit.Filter{Comm: "other"}, false},
		{audit.Filter{Exe: "/usr/bin/longprogramname-server"}, true},
		{audit.Filter{Exe: "longprogramname-server"}, false},
		{audit.Filter{PID: 7, Exe: "/usr/bin/other"}, false},
	} {
		if got := tc.f.Match(&e); got != tc.want {
			t.Errorf("%+v.Match = %v, want %v", tc.f, got, tc.want)
		}
	}
}

// TestForgedJournal reads what journalctl printed for six messages that
// a program sent to systemd-journald 252 (testdata/SOURCE): each holds
// the text of a seccomp record, on a line of its own after a first line
// or as the whole message, in the forms the kernel's own lines take
// (kernel:, dmesg, dmesg -x, syslog). None is a record, in any of
// journalctl's outputs, and each is reported where it is.
func TestForgedJournal(t *testing.T) {
	files, err := filepath.Glob("testdata/forged/journal-*.txt")
	if err != nil || len(files) < 6 {
		t.Fatalf("samples: %v, %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			events, skipped, err := audit.ReadAll(f, file)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				t.Errorf("forged record taken: %s", e.Format())
			}
			if len(skipped) != 6 {
				t.Errorf("%d lines reported, want the 6 forged ones: %v", len(skipped), skipped)
			}
			for _, s := range skipped {
				var ue *audit.UntrustedError
				if !errors.As(s, &ue) || ue.File != file || ue.Line == 0 {
					t.Errorf("reported as %v, want an *UntrustedError with its line", s)
				}
			}
		})
	}
}

// TestReadEachBounded: ReadEach and a Grouping hold no record they have
// read: a log of many records, from many processes, costs the groups.
func TestReadEachBounded(t *testing.T) {
	const n = 100000
	in := &testenv.Repeat{Line: "audit: type=1326 " + rec + "\n", N: n}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var g audit.Grouping
	skipped, err := audit.ReadEach(in, "big", func(e audit.Event) { g.Add(&e) })
	if err != nil || len(skipped) != 0 {
		t.Fatal(skipped, err)
	}
	if groups := g.Groups(); g.Len() != n || len(groups) != 1 || groups[0].Count != n || len(groups[0].PIDs) != 1 {
		t.Fatalf("%d events in %d groups: %+v", g.Len(), len(groups), groups)
	}
	if grew := int64(in.Live) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("reading %d records, %d MiB stayed live", n, grew>>20)
	}
}
