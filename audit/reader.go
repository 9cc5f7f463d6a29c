package audit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Reader reads the seccomp records of a log: a kernel log, an audit.log
// or `journalctl -o json` output, or a mix, one record per line. Lines
// that are not seccomp records are skipped.
type Reader struct {
	name string
	sc   *bufio.Scanner
	line int
}

// maxLine bounds one line; audit records are at most 8 KiB
// (MAX_AUDIT_MESSAGE_LENGTH) and journal entries a little more.
const maxLine = 1 << 20

// NewReader returns a Reader of r; name is used in errors.
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &Reader{name: name, sc: sc}
}

// Next returns the next seccomp record, or io.EOF at the end. A record
// that cannot be read is a *SyntaxError naming the file and line; Next
// can be called again after it to go on.
func (r *Reader) Next() (Event, error) {
	for r.sc.Scan() {
		r.line++
		e, ok, err := ParseLine(r.sc.Text())
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				se.File, se.Line = r.name, r.line
			}
			return Event{}, err
		}
		if ok {
			return e, nil
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Event{}, &SyntaxError{File: r.name, Line: r.line + 1, Msg: fmt.Sprintf("line longer than %d bytes: not a log", maxLine)}
		}
		return Event{}, fmt.Errorf("read %s: %w", r.name, err)
	}
	return Event{}, io.EOF
}

// ReadAll reads every seccomp record of r. It stops at the first record
// that cannot be read.
func ReadAll(r io.Reader, name string) ([]Event, error) {
	rd := NewReader(r, name)
	var out []Event
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}
