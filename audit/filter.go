package audit

import (
	"fmt"
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
