package audit

import (
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
