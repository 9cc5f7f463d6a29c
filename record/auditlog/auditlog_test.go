package auditlog_test

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/auditlog"
)

// line is a kernel log record of a call of pid and comm.
func line(pid, comm, archHex string, nr, code string) string {
	return "[  142.752751] audit: type=1326 audit(1795984285.335:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=" + pid +
		` comm="` + comm + `" exe="/bin/` + comm + `" sig=0 arch=` + archHex + " syscall=" + nr + " compat=0 ip=0x40882e code=" + code + "\n"
}

const logged = "0x7ffc0000"

func names(t *testing.T, rec *record.Recording) []string {
	t.Helper()
	var out []string
	for _, c := range rec.Calls() {
		out = append(out, c.Arch.String()+" "+c.Name)
	}
	return out
}

func TestRead(t *testing.T) {
	in := line("10", "app", "c000003e", "63", logged) + // uname
		line("11", "other", "c000003e", "39", logged) + // getpid, another program
		line("10", "app", "40000003", "20", "0x80000000") + // x86 getpid, killed
		line("10", "app", "deadbeef", "7", logged) + // an ABI syscage does not know
		"[  142.752752] audit: type=1326 audit(1795984285.335:3): pid=10 comm=\"app\" arch=c000003e syscall=zz code=0x7ffc0000\n" +
		"[  1.2] EXT4-fs (vda): mounted filesystem\n"
	rec := record.New(arch.X86_64)
	skipped, err := auditlog.Read(rec, "app.log", strings.NewReader(in), audit.Filter{Comm: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(t, rec), []string{"x86 getpid", "x86_64 uname"}; !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
	if !slices.Equal(rec.Unknown, []string{"deadbeef:7"}) {
		t.Errorf("unknown %v", rec.Unknown)
	}
	if len(skipped) != 1 || !strings.HasPrefix(skipped[0].Error(), "app.log:5") {
		t.Errorf("skipped %v, want line 5", skipped)
	}
}

func TestReadSkippedCount(t *testing.T) {
	bad := "[  142.752752] audit: type=1326 audit(1795984285.335:3): pid=10 comm=\"app\" arch=c000003e syscall=zz code=0x7ffc0000\n"
	rec := record.New(arch.X86_64)
	skipped, err := auditlog.Read(rec, "x", strings.NewReader(strings.Repeat(bad, audit.MaxSkipped+5)), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var more *audit.MoreSkipped
	if len(skipped) != audit.MaxSkipped+1 || !errors.As(skipped[audit.MaxSkipped], &more) || more.N != 5 || more.Error() != "5 more lines like these skipped" {
		t.Errorf("skipped %d: %v", len(skipped), skipped[len(skipped)-1])
	}
}

func TestDenied(t *testing.T) {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Rules: []profile.Rule{
			{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"getpid"}, Action: profile.Action{Kind: profile.ActLog}},
		},
	}
	ev := func(a arch.Arch, name string) audit.Event {
		nr, _ := a.SyscallNumber(name)
		return audit.Event{Arch: a, AuditArch: a.Audit(), Nr: nr, Syscall: name, Code: 0x7ffc0000}
	}
	events := []audit.Event{ev(arch.X86_64, "uname"), ev(arch.X86_64, "getpid"), ev(arch.X86, "read"), ev(arch.X86_64, "mount"), ev(arch.X86_64, "uname")}
	d := auditlog.Denied(p, arch.X86_64, events)
	rec, denied, other := d.Rec, d.Names, d.OtherABIs
	if want := []string{"mount", "uname"}; !slices.Equal(denied, want) {
		t.Errorf("denied %v, want %v (getpid the profile logs itself)", denied, want)
	}
	if !slices.Equal(other, []string{"x86"}) {
		t.Errorf("other ABIs %v, want [x86]", other)
	}
	if got := names(t, rec); len(got) != 2 {
		t.Errorf("recorded %v", got)
	}
}

// TestReadBounded: Read holds no record it has read, matched or not:
// a log of many records costs the recording, not the log's size.
func TestReadBounded(t *testing.T) {
	const n = 100000
	in := &testenv.Repeat{Line: `type=SECCOMP msg=audit(1795984285.335:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5452 comm="app" exe="/usr/bin/app" sig=0 arch=c000003e syscall=63 compat=0 ip=0x40882e code=0x7ffc0000` + "\n", N: n}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := record.New(arch.X86_64)
	if _, err := auditlog.Read(rec, "big", in, audit.Filter{Comm: "app"}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, rec); !slices.Equal(got, []string{"x86_64 uname"}) {
		t.Fatalf("recorded %v", got)
	}
	if grew := int64(in.Live) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Errorf("reading %d records, %d MiB stayed live", n, grew>>20)
	}
}

// TestReader: the Reader of a filter reads an input's records that the
// filter keeps, as Read does.
func TestReader(t *testing.T) {
	in := line("10", "app", "c000003e", "63", logged) + line("11", "other", "c000003e", "39", logged)
	rec := record.New(arch.X86_64)
	read := auditlog.Reader(audit.Filter{Comm: "other"})
	if skipped, err := read(rec, "app.log", strings.NewReader(in)); err != nil || len(skipped) != 0 {
		t.Fatal(skipped, err)
	}
	if got := names(t, rec); !slices.Equal(got, []string{"x86_64 getpid"}) {
		t.Errorf("recorded %v", got)
	}
}
