package session_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/session"
)

// The tests re-execute the test binary as the recording helper and as
// the programs recorded, on PATH by their names. No filter is ever
// installed in the test process itself.
func init() {
	testenv.ProgramByArg(record.HelperCommand, func() { os.Exit(record.HelperExitCode(record.ExecHelper(os.Args[1:]))) })
	testenv.ProgramOnPath("sess-uname", func() {
		var u syscall.Utsname
		_ = syscall.Uname(&u)
		os.Exit(3)
	})
	testenv.ProgramOnPath("sess-sysinfo", func() {
		var i syscall.Sysinfo_t
		_ = syscall.Sysinfo(&i)
		os.Exit(4)
	})
}

func TestMain(m *testing.M) { testenv.Main(m) }

// allows reports whether p lets the native call name run.
func allows(t *testing.T, p *profile.Profile, name string) bool {
	t.Helper()
	a, _ := arch.Native()
	nr, ok := a.SyscallNumber(name)
	if !ok {
		t.Fatalf("no %s on %s", name, a)
	}
	v, err := profile.Evaluate(p, a, profile.Data{Nr: nr, Arch: a.Audit()})
	if err != nil {
		t.Fatal(err)
	}
	return v.Permits()
}

// TestRecordTrain records a command and a training workload into one
// profile, with the command's status and a warning for the workload's.
func TestRecordTrain(t *testing.T) {
	var notes []string
	out, err := session.Record(context.Background(), session.Options{Argv: []string{"sess-uname"}, Train: [][]string{{"sess-sysinfo"}},
		Notes: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if out.Result.ExitCode != 3 || out.Fusion != nil || out.Additions != nil {
		t.Errorf("result %+v, fusion %v, additions %v", out.Result, out.Fusion, out.Additions)
	}
	for _, c := range []string{"uname", "sysinfo"} {
		if !allows(t, out.Profile, c) {
			t.Errorf("the profile denies %s", c)
		}
	}
	if allows(t, out.Profile, "mount") {
		t.Error("the profile allows mount, which nothing made")
	}
	if len(out.Profile.Rules) == 0 || out.Profile.Rules[0].Comment != "recorded by syscage: sess-uname" {
		t.Errorf("rules %+v, want the command's name in their comment", out.Profile.Rules)
	}
	if want := []string{"sess-uname exited with status 3"}; !slices.Equal(out.Lines(), want) {
		t.Errorf("lines %q, want %q", out.Lines(), want)
	}
	if want := []string{"warning: --train sess-sysinfo ended with status 4 (signal 0); what it did is recorded"}; !slices.Equal(notes, want) {
		t.Errorf("notes %q, want %q", notes, want)
	}
}

// TestRecordKnown adds what a run does to a known profile: the calls it
// already allows are left alone, the others added.
func TestRecordKnown(t *testing.T) {
	first, err := session.Record(context.Background(), session.Options{Argv: []string{"sess-uname"}})
	if err != nil {
		t.Fatal(err)
	}
	if allows(t, first.Profile, "sysinfo") {
		t.Fatal("the first profile allows sysinfo already")
	}
	out, err := session.Record(context.Background(), session.Options{Argv: []string{"sess-sysinfo"}, Fuse: true,
		Record: record.Options{Known: first.Profile}, KnownName: "first.json"})
	if err != nil {
		t.Fatal(err)
	}
	if !allows(t, out.Profile, "sysinfo") || !allows(t, out.Profile, "uname") || out.Fusion != nil {
		t.Errorf("the profile with what the run added: sysinfo %v, uname %v, fused %v", allows(t, out.Profile, "sysinfo"), allows(t, out.Profile, "uname"), out.Fusion != nil)
	}
	i := slices.IndexFunc(out.Additions, func(a record.Addition) bool { return a.Name == "sysinfo" })
	if i < 0 || !out.Additions[i].Added {
		t.Errorf("additions %v, want sysinfo added", out.Additions)
	}
}

// TestRecordFused fuses the recording with the analysis of the program:
// what the code can reach beyond the recording is allowed, with reasons.
func TestRecordFused(t *testing.T) {
	var notes []string
	out, err := session.Record(context.Background(), session.Options{Argv: []string{"true"}, Fuse: true, Notes: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if out.Fusion == nil || out.Fusion.Profile != out.Profile {
		t.Fatalf("not fused: %+v (notes %q)", out, notes)
	}
	if out.Fusion.Count("seen") == 0 || len(out.Fusion.Allowed) <= out.Fusion.Count("seen") {
		t.Errorf("fused: %d allowed, %d seen: nothing beyond the recording (notes %q)", len(out.Fusion.Allowed), out.Fusion.Count("seen"), notes)
	}
	for _, n := range notes {
		if strings.HasPrefix(n, "warning:") {
			t.Errorf("note %q", n)
		}
	}
}

func TestRecordNotFound(t *testing.T) {
	_, err := session.Record(context.Background(), session.Options{Argv: []string{"/nonexistent/program"}})
	if !errors.Is(err, record.ErrNotFound) {
		t.Errorf("error %v, want record.ErrNotFound", err)
	}
}
