package audit_test

import (
	"slices"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
)

// TestLineAndHookEnv: the one-line form quotes what the program chose
// (its task name and path) so that no control character reaches a
// terminal, and the hook's environment names the call as the line does.
func TestLineAndHookEnv(t *testing.T) {
	ev := audit.Event{Time: time.Date(2026, 12, 8, 3, 4, 5, 6e6, time.UTC), PID: 4242,
		Comm: "evil\x1b[2J", Exe: "/tmp/a b", Arch: arch.X86_64, Nr: 59, Syscall: "execve", Code: 0x80000000}
	if got, want := ev.Line(), `2026-12-08T03:04:05.006Z KILL_PROCESS pid 4242 "evil\x1b[2J" (/tmp/a b): x86_64 execve(59)`; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	ev.Time, ev.Exe = time.Time{}, ""
	if got, want := ev.Line(), `- KILL_PROCESS pid 4242 "evil\x1b[2J": x86_64 execve(59)`; got != want {
		t.Errorf("Line() without time and exe = %q, want %q", got, want)
	}
	want := []string{"SYSCAGE_SYSCALL=execve", "SYSCAGE_PID=4242", "SYSCAGE_COMM=evil\x1b[2J", "SYSCAGE_ACTION=KILL_PROCESS", "SYSCAGE_ARCH=x86_64"}
	if got := ev.HookEnv(); !slices.Equal(got, want) {
		t.Errorf("HookEnv() = %q, want %q", got, want)
	}
}
