package audit

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Filter selects the records of one program. The zero Filter matches
// every record. Every field set must match.
type Filter struct {
	PID   int       // the caller's thread group id; 0 for any
	Comm  string    // the task name, or the base name of the executable; "" for any
	Exe   string    // the executable's path, exactly; "" for any
	Since time.Time // records logged at or after; records without a time always match
}

// Empty reports whether f matches every record.
func (f Filter) Empty() bool { return f == Filter{} }

// Match reports whether e is selected by f.
func (f Filter) Match(e *Event) bool {
	switch {
	case f.PID != 0 && e.PID != f.PID:
		return false
	case f.Comm != "" && e.Comm != f.Comm && baseName(e.Exe) != f.Comm:
		return false
	case f.Exe != "" && e.Exe != f.Exe:
		return false
	case !f.Since.IsZero() && !e.Time.IsZero() && e.Time.Before(f.Since):
		return false
	}
	return true
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Select returns the events f matches, in their order.
func (f Filter) Select(events []Event) []Event {
	var out []Event
	for i := range events {
		if f.Match(&events[i]) {
			out = append(out, events[i])
		}
	}
	return out
}

// ParseSince reads a time as a Filter's Since, relative to now: a
// duration (10m: the ten minutes before now; its sign does not matter),
// an RFC 3339 time, or a date and time in UTC ("2026-11-29 20:31:00",
// "2026-11-29T20:31:00", "2026-11-29 20:31", "2026-11-29").
func ParseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: neither a duration (10m, 2h) nor a time (2026-11-29, 2026-11-29T20:31:00Z)", s)
}

// SinceStart narrows a filter on a running process to its own records: a
// process ID names one process only while it runs, and the kernel gives
// the ID of an ended process to a new one, so the log's older records of
// that ID are of other processes. When f.PID is running, the result
// keeps only records logged from its start on (to /proc's 10 ms, less
// 20 ms for the log's rounding); otherwise, or where the start cannot be
// read, f is returned as it is.
func (f Filter) SinceStart() Filter {
	if f.PID <= 0 {
		return f
	}
	start, ok := processStart(f.PID)
	if !ok {
		return f
	}
	if start = start.Add(-20 * time.Millisecond); start.After(f.Since) {
		f.Since = start
	}
	return f
}

// processStart returns when process pid started, from its start time in
// /proc/PID/stat (clock ticks since boot, at 100 a second on every Linux
// architecture) and the time since boot in /proc/uptime.
func processStart(pid int) (time.Time, bool) {
	now := time.Now()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, false
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return time.Time{}, false
	}
	// The fields after the command name, which is in parentheses and may
	// hold anything; starttime is the 22nd field, the 20th after it.
	i := bytes.LastIndexByte(stat, ')')
	fields := strings.Fields(string(stat[i+1:]))
	upFields := strings.Fields(string(up))
	if i < 0 || len(fields) < 20 || len(upFields) == 0 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	uptime, err := strconv.ParseFloat(upFields[0], 64)
	if err != nil {
		return time.Time{}, false
	}
	sinceStart := time.Duration(uptime*float64(time.Second)) - time.Duration(ticks)*10*time.Millisecond
	return now.Add(-sinceStart), true
}
