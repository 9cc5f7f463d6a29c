package audit_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
)

func TestVerdict(t *testing.T) {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Rules: []profile.Rule{
			{Names: []string{"read", "write"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"getpgrp"}, Action: profile.Action{Kind: profile.ActErrno, Data: 38}},
		},
	}
	kill := profile.Action{Kind: profile.ActKillProcess}
	for _, tc := range []struct {
		name      string
		a         arch.Arch
		call      string
		how       audit.How
		statement string // a part of it
		patch     string
	}{
		{"by rule", arch.X86_64, "getpgrp", audit.ByRule, "rule 2 (getpgrp: SCMP_ACT_ERRNO 38) decides it: ERRNO(38)",
			`{"syscalls":[{"action":"SCMP_ACT_ALLOW","names":["getpgrp"]}]}`},
		{"by default", arch.X86_64, "open", audit.ByDefault, "no rule names open: the default action ERRNO(1) decides it",
			`{"syscalls":[{"action":"SCMP_ACT_ALLOW","names":["open"]}]}`},
		{"other ABI", arch.AARCH64, "read", audit.ByArch, "the profile does not cover aarch64",
			`{"architectures":["SCMP_ARCH_AARCH64"],"syscalls":[{"action":"SCMP_ACT_ALLOW","names":["read"]}]}`},
		{"allowed", arch.X86_64, "read", audit.ByRule, "; the profile allows it, so the process ran under another filter", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nr, _ := tc.a.SyscallNumber(tc.call)
			g := audit.Group{Arch: tc.a, AuditArch: tc.a.Audit(), Nr: nr, Syscall: tc.call, Action: kill, Count: 1}
			d, err := audit.Decide(p, arch.X86_64, tc.a, nr)
			if err != nil {
				t.Fatal(err)
			}
			v, err := d.Verdict(p, g)
			if err != nil {
				t.Fatal(err)
			}
			if v.How != string(tc.how) || !strings.Contains(v.Statement, tc.statement) {
				t.Errorf("decided %s: %q, want %s: %q", v.How, v.Statement, tc.how, tc.statement)
			}
			if string(v.Patch) != tc.patch || v.Allowed != (tc.patch == "") {
				t.Errorf("patch %s (allowed %v), want %s", v.Patch, v.Allowed, tc.patch)
			}
			// The log says KILL_PROCESS, the profile another action: the
			// process ran under another filter.
			if !v.Allowed && !strings.Contains(v.Statement, "the log says KILL_PROCESS") {
				t.Errorf("the statement does not say the log disagrees: %q", v.Statement)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	evs := []audit.Event{{PID: 1, Comm: "a"}, {PID: 2, Comm: "b"}, {PID: 3, Comm: "a"}}
	got := audit.Filter{Comm: "a"}.Select(evs)
	if len(got) != 2 || got[0].PID != 1 || got[1].PID != 3 {
		t.Errorf("Select = %+v", got)
	}
	if got := (audit.Filter{}).Select(evs); len(got) != 3 {
		t.Errorf("the zero filter kept %d of 3", len(got))
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 29, 20, 31, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"10m", now.Add(-10 * time.Minute)},
		{"-2h", now.Add(-2 * time.Hour)},
		{"2026-11-29", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)},
		{"2026-11-29 20:00", time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)},
		{"2026-11-29T20:31:05Z", time.Date(2026, 11, 29, 20, 31, 5, 0, time.UTC)},
		{"2026-11-29T21:31:05+01:00", time.Date(2026, 11, 29, 20, 31, 5, 0, time.UTC)},
	} {
		got, err := audit.ParseSince(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := audit.ParseSince("yesterday", now); err == nil || !strings.Contains(err.Error(), `"yesterday": neither a duration`) {
		t.Errorf("ParseSince(yesterday): %v", err)
	}
}

func TestReadFileDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := audit.ReadFile(dir); err == nil || !strings.Contains(err.Error(), "is a directory, not a log file") {
		t.Errorf("ReadFile(dir): %v", err)
	}
	if _, _, err := audit.ReadFile(dir + "/none"); !os.IsNotExist(err) {
		t.Errorf("ReadFile(missing): %v", err)
	}
}

// TestReadLog reads one log from a file and from standard input: the
// same records, each source named; a directory is no log.
func TestReadLog(t *testing.T) {
	const path = "testdata/audit.log"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := audit.ReadFile(path)
	if err != nil || len(want) == 0 {
		t.Fatalf("ReadFile: %d records, %v", len(want), err)
	}
	for _, tc := range []struct{ path, source string }{{path, path}, {"-", "standard input"}} {
		var got []audit.Event
		source, skipped, err := audit.ReadLog(tc.path, strings.NewReader(string(data)), func(e audit.Event) { got = append(got, e) })
		if err != nil || len(skipped) != 0 || source != tc.source {
			t.Errorf("ReadLog(%q): source %q, skipped %v, %v", tc.path, source, skipped, err)
		}
		if len(got) != len(want) || got[0].PID != want[0].PID || got[len(got)-1].Nr != want[len(want)-1].Nr {
			t.Errorf("ReadLog(%q): %d records, want %d", tc.path, len(got), len(want))
		}
	}
	if _, _, err := audit.ReadLog(t.TempDir(), nil, func(audit.Event) {}); err == nil || !strings.Contains(err.Error(), "not a log file") {
		t.Errorf("ReadLog(dir): %v", err)
	}
}

// TestExplanationsJSON: what a program chose (a name with an escape
// sequence) cannot reach the terminal raw; the JSON still reads back.
func TestExplanationsJSON(t *testing.T) {
	groups := []audit.Explanation{{Arch: "x86_64", Syscall: "uname", Nr: 63, Action: "KILL_PROCESS", Comm: "evil\x1b]0;owned\x07\u202e", Count: 1, PIDs: []int{7}}}
	var b strings.Builder
	if err := audit.WriteExplanationsJSON(&b, groups); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") || !strings.HasSuffix(out, "}\n]\n") || !strings.Contains(out, "\n  {\n    \"arch\": \"x86_64\",") {
		t.Errorf("JSON:\n%s", out)
	}
	var back []audit.Explanation
	if err := json.Unmarshal([]byte(out), &back); err != nil || len(back) != 1 || back[0].Comm != groups[0].Comm {
		t.Errorf("read back: %+v, %v", back, err)
	}
	b.Reset()
	if err := audit.WriteExplanationsJSON(&b, []audit.Explanation{}); err != nil || b.String() != "[]\n" {
		t.Errorf("no groups: %q, %v", b.String(), err)
	}
}
