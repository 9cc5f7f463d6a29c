package audit_test

import (
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
