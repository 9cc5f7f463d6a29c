package record_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/strace"
)

// TestNewReport reads strace output with more bad lines than a report
// lists, adds the recording to a profile and checks the JSON report.
func TestNewReport(t *testing.T) {
	var in strings.Builder
	in.WriteString("100 uname({sysname=\"Linux\"}) = 0\n")
	for i := 0; i < record.MaxShown+2; i++ {
		fmt.Fprintf(&in, "garbage %d\n", i)
	}
	in.WriteString("100 getpid() = 100\n")
	rec := record.New(arch.X86_64)
	skipped, err := strace.Read(rec, "t", strings.NewReader(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86_64},
		Rules: []profile.Rule{{Names: []string{"getpid"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	_, adds, err := rec.AddTo(p, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(record.NewReport("out.json", rec, adds, skipped))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"written":"out.json","additions":[{"arch":"x86_64","name":"uname","added":true}],"unknown":[],"skipped":["t:2: not a system call line: \"garbage 0\""`
	for i := 1; i < record.MaxShown; i++ {
		want += fmt.Sprintf(`,"t:%d: not a system call line: \"garbage %d\""`, i+2, i)
	}
	want += fmt.Sprintf(`],"skipped_count":%d}`, record.MaxShown+2)
	if string(js) != want {
		t.Errorf("got  %s\nwant %s", js, want)
	}
	lines := record.NewReport("out.json", rec, adds, skipped).Lines()
	if len(lines) != record.MaxShown+1 || lines[0] != `t:2: not a system call line: "garbage 0" (line skipped)` || lines[record.MaxShown] != "... and 2 more lines skipped" {
		t.Errorf("lines %q", lines)
	}
	rec.Unknown = []string{"deadbeef:7"}
	if lines := record.NewReport("out.json", rec, nil, nil).Lines(); len(lines) != 1 || lines[0] != "warning: system call deadbeef:7 is in no table; the compiled filter answers it with ENOSYS" {
		t.Errorf("lines %q", lines)
	}
	// A recording of nothing: empty lists, not null.
	js, _ = json.Marshal(record.NewReport("-", record.New(arch.X86_64), nil, nil))
	if want := `{"written":"-","additions":[],"unknown":[],"skipped_count":0}`; string(js) != want {
		t.Errorf("got  %s\nwant %s", js, want)
	}
}
