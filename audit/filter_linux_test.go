package audit_test

import (
	"os/exec"
	"testing"
	"time"

	"github.com/syscage/syscage/audit"
)

// TestSinceStart: a filter on a running process keeps its records and
// not those logged before it started (an earlier process with its ID);
// on a process that has ended, the filter is left as it was.
func TestSinceStart(t *testing.T) {
	before := time.Now()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	after := time.Now()
	defer cmd.Wait()
	defer cmd.Process.Kill()
	pid := cmd.Process.Pid
	f := audit.Filter{PID: pid}.SinceStart()
	// /proc counts in 10 ms ticks and /proc/uptime in 10 ms steps.
	if f.Since.Before(before.Add(-100*time.Millisecond)) || f.Since.After(after) {
		t.Fatalf("since %v, want the process's start, between %v and %v", f.Since, before, after)
	}
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{before.Add(-time.Second), false},
		{after.Add(time.Millisecond), true},
		{time.Time{}, true}, // a record without a time
	} {
		if got := f.Match(&audit.Event{PID: pid, Time: c.at}); got != c.want {
			t.Errorf("a record of pid %d at %v: match %v, want %v", pid, c.at, got, c.want)
		}
	}
	if f.Match(&audit.Event{PID: pid + 1, Time: after}) {
		t.Error("a record of another pid matched")
	}
	// A later --since stays.
	later := after.Add(time.Hour)
	if g := (audit.Filter{PID: pid, Since: later}).SinceStart(); !g.Since.Equal(later) {
		t.Errorf("since %v, want the later %v kept", g.Since, later)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if g := (audit.Filter{PID: pid}).SinceStart(); !g.Since.IsZero() {
		t.Errorf("an ended process: since %v, want none", g.Since)
	}
}
