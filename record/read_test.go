package record_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/strace"
)

// TestReadFiles reads strace output from files and stdin ("-") into one
// recording, with the skipped lines of all; a file that cannot be opened
// is an error.
func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.trace")
	if err := os.WriteFile(a, []byte("1 uname({}) = 0\nbad line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := record.New(arch.X86_64)
	skipped, err := rec.ReadFiles([]string{a, "-"}, strings.NewReader("2 getpid() = 2\nworse\n"), strace.Read)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range rec.Calls() {
		names = append(names, c.Name)
	}
	if want := []string{"getpid", "uname"}; !slices.Equal(names, want) {
		t.Errorf("recorded %v, want %v", names, want)
	}
	if len(skipped) != 2 || !strings.HasPrefix(skipped[0].Error(), a+":2:") || !strings.HasPrefix(skipped[1].Error(), "-:2:") {
		t.Errorf("skipped %v", skipped)
	}
	if _, err := rec.ReadFiles([]string{filepath.Join(dir, "none")}, nil, strace.Read); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
}

// TestInto: with a known profile the recording is added to it; without,
// it is a new profile of its own.
func TestInto(t *testing.T) {
	rec := record.New(arch.X86_64)
	rec.AddName(arch.X86_64, "uname")
	p, adds, err := rec.Into(nil, arch.X86_64, record.ProfileOptions{Comment: "new"})
	if err != nil || adds != nil || len(p.Rules) == 0 || p.Rules[0].Comment != "new" {
		t.Fatalf("new: %+v %v %v", p, adds, err)
	}
	known := &profile.Profile{Default: profile.Action{Kind: profile.ActKillProcess}, Arches: []arch.Arch{arch.X86_64},
		Rules: []profile.Rule{{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	q, adds, err := rec.Into(known, arch.X86_64, record.ProfileOptions{Comment: "new"})
	if err != nil || len(adds) != 1 || !adds[0].Added || q.Default.Kind != profile.ActKillProcess {
		t.Errorf("added to known: %+v %v %v", q, adds, err)
	}
}
