package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestSamples reads each committed sample and compares the events with
// its golden file; it also checks counts and properties that the golden
// files could hide.
func TestSamples(t *testing.T) {
	samples := map[string]struct{ n, skipped int }{ // seccomp records in each sample, and lines skipped as untrusted
		"kmsg.txt":           {13, 0},
		"dmesg.txt":          {13, 0},
		"journal.json":       {17, 0},
		"journal-short.txt":  {17, 4}, // the audit transport's lines cannot be told from a program's
		"audit.log":          {15, 0},
		"audit-enriched.log": {15, 0},
		// Written by auditd 3.0.9 itself (see testdata/SOURCE).
		"auditd-daemon.log":          {2, 0},
		"auditd-daemon-enriched.log": {2, 0},
	}
	for name, want := range samples {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			events, skipped, err := audit.ReadAll(f, name)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != want.n || len(skipped) != want.skipped {
				t.Errorf("%d events and %d lines skipped, want %d and %d: %v", len(events), len(skipped), want.n, want.skipped, skipped)
			}
			var buf bytes.Buffer
			for _, e := range events {
				b, err := json.Marshal(e)
				if err != nil {
					t.Fatal(err)
				}
				buf.Write(b)
				buf.WriteByte('\n')
				if e.Arch == arch.Invalid || e.Syscall == "" || e.PID == 0 || e.Comm == "" {
					t.Errorf("incomplete event %s", e.Format())
				}
				if e.Time.IsZero() {
					t.Errorf("time %v in %s", e.Time, e.Format())
				}
				var back audit.Event
				if err := json.Unmarshal(b, &back); err != nil {
					t.Fatalf("unmarshal %s: %v", b, err)
				}
				if !reflect.DeepEqual(back, e) {
					t.Errorf("JSON round trip:\n got %+v\nwant %+v", back, e)
				}
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(name, filepath.Ext(name))+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("events differ from %s (-update to rewrite):\n%s", golden, buf.String())
			}
		})
	}
}

// TestSameRecords checks that every format of one kernel record gives
// one event.
func TestSameRecords(t *testing.T) {
	read := func(name string) []audit.Event {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		ev, _, err := audit.ReadAll(bytes.NewReader(b), name)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	kmsg := read("kmsg.txt")
	for _, name := range []string{"dmesg.txt", "audit.log", "audit-enriched.log"} {
		other := read(name)
		for i, e := range kmsg {
			if !reflect.DeepEqual(other[i], e) {
				t.Errorf("%s event %d:\n got %s\nwant %s", name, i, other[i].Format(), e.Format())
			}
		}
	}
	// The journal's audit transport has the same records as its kernel
	// transport, with the time from _SOURCE_REALTIME_TIMESTAMP.
	j := read("journal.json")
	var aud []audit.Event
	for _, e := range j {
		if e.Serial >= 15 {
			aud = append(aud, e)
		}
	}
	if len(aud) != 4 {
		t.Fatalf("%d audit-transport events, want 4", len(aud))
	}
	if e := aud[0]; e.Comm != "my prog" || e.Exe != "/tmp/insp/gen/my prog" || e.Syscall != "uname" ||
		!e.Time.Equal(time.UnixMilli(1795984531171).UTC()) || e.Serial != 15 {
		t.Errorf("audit transport: %s", e.Format())
	}
}

// TestDecoding checks the fields of records by hand.
func TestDecoding(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		check      func(e audit.Event) bool
	}{
		{"hex comm and exe",
			`5,341,142752766,-;audit: type=1326 audit(1795984285.343:4): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5457 comm=6D792070726F67 exe=2F746D702F696E73702F67656E2F6D792070726F67 sig=0 arch=c000003e syscall=63 compat=0 ip=0x40882e code=0x7ffc0000`,
			func(e audit.Event) bool {
				return e.Comm == "my prog" && e.Exe == "/tmp/insp/gen/my prog" && e.Arch == arch.X86_64 && e.Syscall == "uname" &&
					e.Action().String() == "LOG" && e.Time.Equal(time.UnixMilli(1795984285343).UTC()) && e.Serial == 4
			}},
		{"x32 by the number",
			`type=SECCOMP msg=audit(1.000:9): auid=0 uid=1 gid=2 ses=3 pid=4 comm="a" exe="/a" sig=0 arch=c000003e syscall=1073741863 compat=1 ip=0x1 code=0x50001`,
			func(e audit.Event) bool {
				return e.Arch == arch.X32 && e.Syscall == "getpid" && e.Compat && e.Action().Kind.String() == "ERRNO" && e.UID == 1 && e.GID == 2 && e.Ses == 3
			}},
		{"compat x86",
			`audit: type=1326 audit(1795984513.139:10): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=12481 comm=756E616D65203332 exe=2F746D70 sig=31 arch=40000003 syscall=64 compat=1 ip=0xf7f745e9 code=0x80000000`,
			func(e audit.Event) bool {
				return e.Arch == arch.X86 && e.Syscall == "getppid" && e.Killed() && e.Sig == 31 && e.Comm == "uname 32" && e.Exe == "/tmp"
			}},
		{"label with spaces",
			`type=SECCOMP msg=audit(1613596317.899:6461): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=cri-containerd.apparmor.d (enforce) pid=2039886 comm="ls" exe="/bin/ls" sig=0 arch=c000003e syscall=3 compat=0 ip=0x7f62dce3d4c7 code=0x7ffc0000`,
			func(e audit.Event) bool {
				return e.Subj == "cri-containerd.apparmor.d (enforce)" && e.Syscall == "close" && e.PID == 2039886
			}},
		{"enriched names a call the tables lack",
			"type=SECCOMP msg=audit(1.000:1): auid=0 uid=0 gid=0 ses=1 pid=1 comm=\"x\" exe=\"/x\" sig=0 arch=c000003e syscall=999 compat=0 ip=0x0 code=0x7ffc0000\x1dAUID=\"root\" ARCH=x86_64 SYSCALL=future_call",
			func(e audit.Event) bool { return e.Syscall == "future_call" && e.Nr == 999 }},
		{"unknown arch",
			`type=SECCOMP msg=audit(1.000:1): auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe="/x" sig=0 arch=1234 syscall=5 compat=0 ip=0x0 code=0x7fff0000`,
			func(e audit.Event) bool {
				return e.Arch == arch.Invalid && e.AuditArch == 0x1234 && e.Name() == "syscall_5" && e.ArchName() == "1234"
			}},
		{"negative syscall, kernel thread",
			`type=SECCOMP msg=audit(1.000:1): auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe=(null) sig=0 arch=c000003e syscall=-1 compat=0 ip=0x0 code=0x30000`,
			func(e audit.Event) bool { return e.Nr == 0xffffffff && e.Exe == "" && e.Action().String() == "TRAP" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok, err := audit.ParseLine(tc.line)
			if err != nil || !ok {
				t.Fatalf("ParseLine: %v, %v", ok, err)
			}
			if !tc.check(e) {
				t.Errorf("wrong event %+v", e)
			}
		})
	}
}

// TestErrors: records that cannot be read are located errors; lines
// that are no seccomp records are skipped.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // "" for a skipped line
	}{
		{`Nov 29 20:35:29 vm kernel: EXT4-fs (vda): mounted filesystem`, ""},
		{`type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes`, ""},
		{`audit: type=1326 audit(1795984285.335:2): pid=1 arch=c000003e syscall=6x3 code=0`, "column 71: seccomp record: syscall=\"6x3\": invalid syntax"},
		{`audit: type=1326 audit(1795984285.335:2): pid=1 syscall=63 code=0`, "column 42: seccomp record without arch="},
		{`audit: type=1326 audit(1795984285.335:2): pid=1 arch=c000003e code=0`, "column 42: seccomp record without syscall="},
		{`audit: type=1326 audit(1795984285.335:2): arch=c000003e syscall=1`, "column 42: seccomp record without code="},
		{`audit: type=1326 audit(1795984285:2): arch=c000003e syscall=1 code=0`, "column 24: time stamp \"1795984285:2\" is not SECONDS.MILLIS:SERIAL"},
		{`audit: type=1326 audit(1795984285.335:2 arch=c000003e`, "column 24: audit record without the closing \"):\" of its time stamp"},
		{`type=SECCOMP msg=audit(1.000:1): arch=c000003e syscall=1 code=0 comm=zz`, "column 70: seccomp record: comm=\"zz\": neither quoted nor hex-encoded"},
		{`{"_TRANSPORT": "kernel", "MESSAGE": "audit: type=1326 audit(1.000:1): arch=c000003e syscall=1"}`, "MESSAGE: seccomp record without code="},
		{`{"MESSAGE": "x", `, "column 17: journal entry is not valid JSON: unexpected end of JSON input"},
		{`{"MESSAGE": "kernel: hello"}`, ""},
		{`{"_AUDIT_TYPE": "1300", "MESSAGE": "SYSCALL arch=c000003e syscall=1"}`, ""},
	} {
		e, ok, err := audit.ParseLine(tc.line)
		var got string
		if err != nil {
			got = err.Error()
		}
		if got != tc.want || ok || e != (audit.Event{}) {
			t.Errorf("ParseLine(%q) = %v, %v\nwant error %q", tc.line, ok, err, tc.want)
		}
	}
	// The Reader names the file and line.
	in := "hello\n" + `audit: type=1326 audit(1795984285.335:2): pid=1 syscall=63 code=0` + "\n"
	_, _, err := audit.ReadAll(strings.NewReader(in), "kern.log")
	var se *audit.SyntaxError
	if !errors.As(err, &se) || err.Error() != "kern.log:2:42: seccomp record without arch=" {
		t.Errorf("ReadAll: %v", err)
	}
	// A line longer than any log's is no record: it is skipped, with
	// its line, and the records after it are read.
	ev, skipped, err := audit.ReadAll(io.MultiReader(strings.NewReader("x"), bytes.NewReader(make([]byte, 2<<20)), strings.NewReader("\naudit: type=1326 "+rec+"\n")), "big")
	if err != nil || len(ev) != 1 || len(skipped) != 1 || !errors.Is(skipped[0], audit.ErrLongLine) || !strings.Contains(skipped[0].Error(), "big:1: line longer than") {
		t.Errorf("long line: %d events, skipped %v, %v", len(ev), skipped, err)
	}
}
