package audit

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// parseJournal reads one entry of `journalctl -o json`. Seccomp records
// come through the kernel transport (MESSAGE is the kernel's line) or the
// audit transport (MESSAGE is "SECCOMP auid=...", the time and serial are
// fields of their own).
func parseJournal(line string) (Event, bool, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		col := 0
		if se, ok := err.(*json.SyntaxError); ok {
			col = int(se.Offset)
		}
		return Event{}, false, syntaxf(col, "journal entry is not valid JSON: %v", err)
	}
	msg, ok := journalString(m["MESSAGE"])
	if !ok {
		return Event{}, false, nil
	}
	start, k, by := locate(msg)
	if k == 0 && by == "" {
		return Event{}, false, nil
	}
	// Fields that begin with "_" are journald's own: a client cannot
	// set them.
	transport, _ := journalString(m["_TRANSPORT"])
	typ, _ := journalString(m["_AUDIT_TYPE"])
	switch {
	case transport == "kernel" && k == kindKernel && (start == len(kernelMarker) || start == len("audit: "+kernelMarker)):
	case transport == "audit" && typ == "1326" && k == kindJournal:
	case transport == "audit" && typ != "1326":
		// Another audit record quoting one: a USER message says what
		// its sender wants.
		return Event{}, false, &UntrustedError{By: "an audit record of another type: " + strconv.Quote(typ)}
	default:
		if transport == "" {
			transport = "none"
		}
		return Event{}, false, &UntrustedError{By: "journal entry of transport " + strconv.Quote(transport)}
	}
	e, err := parseRecord(msg, start, k, 0)
	if err != nil {
		// Columns of MESSAGE's value are not columns of the line.
		err.Col = 0
		err.Msg = "MESSAGE: " + err.Msg
		return Event{}, false, err
	}
	if e.Time.IsZero() {
		for _, k := range []string{"_SOURCE_REALTIME_TIMESTAMP", "__REALTIME_TIMESTAMP"} {
			if s, _ := journalString(m[k]); s != "" {
				if us, err := strconv.ParseInt(s, 10, 64); err == nil && us >= 1000 && us/1e6 <= maxUnix {
					// The audit stamp has millisecond precision.
					e.Time = time.UnixMilli(us / 1000).UTC()
					break
				}
			}
		}
	}
	if e.Serial == 0 {
		if s, _ := journalString(m["_AUDIT_ID"]); s != "" {
			e.Serial, _ = strconv.ParseUint(s, 10, 64)
		}
	}
	return e, true, nil
}

// journalString reads a journal field: a JSON string, or an array of
// bytes for values that are not valid UTF-8 or hold control characters.
func journalString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var b []byte
	var ints []int
	if err := json.Unmarshal(raw, &ints); err == nil {
		for _, n := range ints {
			if n < 0 || n > 255 {
				return "", false
			}
			b = append(b, byte(n))
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), true
	}
	return "", false
}
