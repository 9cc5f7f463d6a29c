package ebpf_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/ebpf"
)

// TestView: a block says what was lost, each call is named by its ABI's
// table, busiest first; --top keeps the busiest, saying how many more;
// a JSON line has every loss counter, the reason and the sub-call, with
// control characters escaped; the rates of a snapshot are since the one
// before.
func TestView(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := &ebpf.Snapshot{
		Start: start, Time: start.Add(2 * time.Second),
		Calls: []ebpf.Count{
			{Syscall: ebpf.Syscall{Arch: arch.X86_64, Nr: 64, Name: "semget"}, N: 4},
			{Syscall: ebpf.Syscall{Arch: arch.X86, Nr: 64, Name: "getppid"}, N: 10},
			{Syscall: ebpf.Syscall{Arch: arch.X86, Nr: 102, Name: "socket", Multiplexer: "socketcall", Call: 1}, N: 2},
			{Syscall: ebpf.Syscall{Arch: arch.X86_64, Nr: 1000}, N: 1},
			{Syscall: ebpf.Syscall{Arch: arch.X86_64, Nr: 1024, Beyond: true}, N: 1},
		},
		Lost:    []record.Loss{{What: "kernel reads failed", Count: 0}, {What: "runs of the sys_enter program the kernel skipped", Count: 3}},
		Partial: true,
		Reason:  "calls may be missing: 3 runs of the sys_enter program the kernel skipped",
	}
	var out bytes.Buffer
	v := &ebpf.View{Who: "process 7 (x)"}
	if err := v.WriteText(&out, s, true, ebpf.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `2026-01-02T03:04:07Z process 7 (x) (final)
18 calls, 9.0/s over 2.000s; LOST: calls may be missing: 3 runs of the sys_enter program the kernel skipped
    RATE/s        TOTAL  ABI     SYSCALL
       5.0           10  x86     getppid(64)
       2.0            4  x86_64  semget(64)
       1.0            2  x86     socket(socketcall 1)
       0.5            1  x86_64  unknown(1000)
       0.5            1  x86_64  unknown(>1023)

`
	if got := out.String(); got != want {
		t.Errorf("block:\n%s\nwant:\n%s", got, want)
	}
	if reason, ok := v.Short(); !ok || reason != s.Reason {
		t.Errorf("Short() = %q, %v; want the snapshot's reason", reason, ok)
	}
	// The next snapshot counts from this one: 6 more getppid in 3 s.
	next := *s
	next.Time = s.Time.Add(3 * time.Second)
	next.Calls = append([]ebpf.Count(nil), s.Calls...)
	next.Calls[1].N += 6
	next.Partial, next.Reason, next.Ended = false, "", true
	out.Reset()
	if err := v.WriteText(&out, &next, true, ebpf.TextOptions{Top: 1, Redraw: true}); err != nil {
		t.Fatal(err)
	}
	want = "\x1b[H\x1b[2J2026-01-02T03:04:10Z process 7 (x) (final: they have all ended)\n" +
		"24 calls, 2.0/s over 3.000s; lost: none\n" +
		"    RATE/s        TOTAL  ABI     SYSCALL\n" +
		"       2.0           16  x86     getppid(64)\n" +
		"(4 more)\n"
	if got := out.String(); got != want {
		t.Errorf("redrawn block:\n%q\nwant:\n%q", got, want)
	}
	if _, ok := v.Short(); ok {
		t.Error("Short() after a complete snapshot")
	}
	out.Reset()
	j := &ebpf.View{PID: 7, Comm: "\u202ex\x1b"}
	if err := j.WriteJSON(&out, s, true, 0); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`"pid":7,"comm":"\u202ex\u001b"`,
		`"partial":"calls may be missing: 3 runs of the sys_enter program the kernel skipped"`,
		`{"what":"kernel reads failed","count":0}`,
		`{"what":"runs of the sys_enter program the kernel skipped","count":3}`,
		`{"abi":"x86","nr":102,"name":"socket","multiplexer":"socketcall","call":1,"total":2,"delta":2,"rate":1}`,
		`{"abi":"x86_64","nr":1024,"beyond":true,`,
		`"final":true}`,
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("JSON line without %s:\n%s", w, out.String())
		}
	}
	if strings.ContainsAny(out.String(), "\x1b\u202e") || !strings.HasSuffix(out.String(), "}\n") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("not one terminal-safe line:\n%q", out.String())
	}
}
