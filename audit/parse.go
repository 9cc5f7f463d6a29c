package audit

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SyntaxError reports a seccomp record that cannot be read, located in
// its input.
type SyntaxError struct {
	File string // name of the input; "" for ParseLine
	Line int    // 1-based; 0 for ParseLine
	Col  int    // 1-based byte column in the line; 0 when unknown
	Msg  string
	Err  error // the category (ErrLongLine), or nil
}

// ErrLongLine reports a line longer than any log's (1 MiB; an audit
// record is at most 8 KiB): it is not read, and readers go on after it.
var ErrLongLine = errors.New("line too long")

// Unwrap returns the category of the error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Error returns "file:line:col: message".
func (e *SyntaxError) Error() string {
	switch {
	case e.File == "" && e.Col > 0:
		return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
	case e.File == "":
		return e.Msg
	case e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	default:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
}

// inFile names the input of a *SyntaxError or *UntrustedError.
func inFile(err error, file string) error {
	switch e := err.(type) {
	case *SyntaxError:
		e.File = file
	case *UntrustedError:
		e.File = file
	}
	return err
}

func syntaxf(col int, format string, a ...any) *SyntaxError {
	return &SyntaxError{Col: col, Msg: fmt.Sprintf(format, a...)}
}

// Markers of a seccomp record in the text formats, in the order they are
// tried: the kernel's own line (kmsg, dmesg, syslog, journald's kernel
// transport), auditd's audit.log, and journald's audit transport, whose
// MESSAGE starts with the type name and has no time stamp.
const (
	kernelMarker  = "type=1326 audit("
	auditdMarker  = "type=SECCOMP msg=audit("
	journalMarker = "SECCOMP auid="
)

// ParseLine reads one line of a kernel log (/dev/kmsg, dmesg, syslog),
// auditd's audit.log (raw or ENRICHED) or `journalctl -o json`. ok is
// false, with a nil error, when the line is not a seccomp record. A
// seccomp record that cannot be read is an error (*SyntaxError with the
// column) and ok is false; so is the text of a record in a line the
// kernel did not write (*UntrustedError, see origin.go).
func ParseLine(line string) (e Event, ok bool, err error) {
	line = strings.TrimRight(line, "\r\n")
	if s := strings.TrimLeft(line, " \t"); strings.HasPrefix(s, "{") {
		e, ok, err := parseJournal(s)
		if err != nil {
			if se, isSyntax := err.(*SyntaxError); isSyntax {
				se.Col += len(line) - len(s)
			}
			return Event{}, false, err
		}
		return e, ok, nil
	}
	start, k, by := locate(line)
	if by != "" {
		return Event{}, false, &UntrustedError{By: by}
	}
	if k == 0 {
		return Event{}, false, nil
	}
	e, serr := parseRecord(line, start, k, 0)
	if serr != nil {
		return Event{}, false, serr
	}
	return e, true, nil
}

// parseRecord reads a record whose fields (or stamp) begin at byte start
// of line; base is added to columns.
func parseRecord(line string, start int, k kind, base int) (Event, *SyntaxError) {
	var e Event
	enriched := ""
	if i := strings.IndexByte(line, 0x1d); i >= 0 {
		line, enriched = line[:i], line[i+1:]
	}
	if k != kindJournal {
		// audit(SECONDS.MILLIS:SERIAL):
		end := strings.Index(line[start:], "):")
		if end < 0 {
			return Event{}, syntaxf(base+start+1, "audit record without the closing \"):\" of its time stamp")
		}
		if err := e.stamp(line[start:start+end], base+start+1); err != nil {
			return Event{}, err
		}
		start += end + 2
	}
	if err := e.fields(line, start, base); err != nil {
		return Event{}, err
	}
	e.enrich(enriched)
	return e, nil
}

// maxUnix is the last second of year 9999, the last RFC 3339 can write.
const maxUnix = 253402300799

// stamp reads "1795984285.335:2".
func (e *Event) stamp(s string, col int) *SyntaxError {
	ts, serial, ok := strings.Cut(s, ":")
	sec, frac, ok2 := strings.Cut(ts, ".")
	if !ok || !ok2 {
		return syntaxf(col, "time stamp %q is not SECONDS.MILLIS:SERIAL", s)
	}
	secs, err1 := strconv.ParseInt(sec, 10, 64)
	ms, err2 := strconv.ParseUint(frac, 10, 32)
	n, err3 := strconv.ParseUint(serial, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || len(frac) != 3 || secs < 0 || secs > maxUnix {
		return syntaxf(col, "time stamp %q is not SECONDS.MILLIS:SERIAL", s)
	}
	if secs != 0 || ms != 0 {
		e.Time = time.Unix(secs, int64(ms)*1e6).UTC()
	}
	e.Serial = n
	return nil
}

// field is one key=value of a record; col is the 1-based column of the
// value.
type field struct {
	key, val string
	col      int
	quoted   bool
}

// splitFields splits "k=v k="v" ..." starting at byte start. A word
// without "=" continues the previous value (LSM labels such as AppArmor's
// "profile (enforce)" hold spaces).
func splitFields(line string, start int) []field {
	var out []field
	i := start
	for i < len(line) {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '=' {
			j++
		}
		if j >= len(line) || line[j] != '=' {
			// A word without "=": part of the previous value.
			k := strings.IndexByte(line[i:], ' ')
			if k < 0 {
				k = len(line) - i
			}
			if n := len(out); n > 0 && !out[n-1].quoted {
				out[n-1].val += " " + line[i:i+k]
			}
			i += k
			continue
		}
		f := field{key: line[i:j], col: j + 2}
		v := j + 1
		if v < len(line) && line[v] == '"' {
			end := strings.IndexByte(line[v+1:], '"')
			if end < 0 {
				f.val = line[v+1:]
				i = len(line)
			} else {
				f.val = line[v+1 : v+1+end]
				i = v + end + 2
			}
			f.quoted = true
		} else {
			end := strings.IndexByte(line[v:], ' ')
			if end < 0 {
				end = len(line) - v
			}
			f.val = line[v : v+end]
			i = v + end
		}
		out = append(out, f)
	}
	return out
}

// fields reads the key=value part of a record from byte start.
func (e *Event) fields(line string, start, base int) *SyntaxError {
	seen := 0
	const needArch, needSyscall, needCode = 1, 2, 4
	for _, f := range splitFields(line, start) {
		col := base + f.col
		var err error
		switch f.key {
		case "auid":
			e.AUID, err = id(f.val)
		case "uid":
			e.UID, err = id(f.val)
		case "gid":
			e.GID, err = id(f.val)
		case "ses":
			e.Ses, err = id(f.val)
		case "subj":
			e.Subj = strings.Join(strings.Fields(f.val), " ")
		case "pid":
			var n int64
			n, err = strconv.ParseInt(f.val, 10, 32)
			e.PID = int(n)
		case "comm":
			e.Comm, err = untrustedValue(f)
		case "exe":
			e.Exe, err = untrustedValue(f)
		case "sig":
			var n int64
			n, err = strconv.ParseInt(f.val, 10, 32)
			e.Sig = int(n)
		case "arch":
			var n uint64
			n, err = strconv.ParseUint(f.val, 16, 32)
			e.AuditArch = uint32(n)
			seen |= needArch
		case "syscall":
			var n int64
			n, err = strconv.ParseInt(f.val, 10, 64)
			if err == nil && (n < -1<<31 || n > 1<<32-1) {
				err = fmt.Errorf("out of range")
			}
			e.Nr = uint32(n)
			seen |= needSyscall
		case "compat":
			switch f.val {
			case "0":
				e.Compat = false
			case "1":
				e.Compat = true
			default:
				err = fmt.Errorf("not 0 or 1")
			}
		case "ip":
			e.IP, err = strconv.ParseUint(f.val, 0, 64)
		case "code":
			var n uint64
			n, err = strconv.ParseUint(f.val, 0, 32)
			e.Code = uint32(n)
			seen |= needCode
		}
		if err != nil {
			return syntaxf(col, "seccomp record: %s=%q: %v", f.key, f.val, unwrapNum(err))
		}
	}
	switch {
	case seen&needArch == 0:
		return syntaxf(base+start+1, "seccomp record without arch=")
	case seen&needSyscall == 0:
		return syntaxf(base+start+1, "seccomp record without syscall=")
	case seen&needCode == 0:
		return syntaxf(base+start+1, "seccomp record without code=")
	}
	e.resolve()
	return nil
}

// enrich reads the ENRICHED part of an auditd line: it names a system
// call the tables do not know.
func (e *Event) enrich(s string) {
	if s == "" || e.Syscall != "" {
		return
	}
	for _, f := range splitFields(s, 0) {
		if f.key == "SYSCALL" && f.val != "" && !strings.HasPrefix(f.val, "unknown") {
			e.Syscall = f.val
		}
	}
}

func unwrapNum(err error) error {
	if ne, ok := err.(*strconv.NumError); ok {
		return ne.Err
	}
	return err
}

// id reads a uid, gid, auid or session: decimal, 4294967295 for unset.
func id(s string) (uint32, error) {
	if s == "-1" {
		return 1<<32 - 1, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}

// untrustedValue decodes a comm= or exe= value: quoted text, hex, or a
// placeholder such as (null) or ?.
func untrustedValue(f field) (string, error) {
	if f.quoted || f.val == "(null)" || f.val == "?" {
		if !f.quoted {
			return "", nil
		}
		return f.val, nil
	}
	b, err := hex.DecodeString(f.val)
	if err != nil {
		return "", fmt.Errorf("neither quoted nor hex-encoded")
	}
	return string(b), nil
}
