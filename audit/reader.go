package audit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/internal/lines"
)

// Reader reads the seccomp records of a log: a kernel log, an audit.log
// or `journalctl -o json` output, or a mix, one record per line. Lines
// that are not seccomp records are skipped. A Reader holds at most one
// line of maxLine bytes, whatever the input: a longer line is reported
// and skipped, not kept.
type Reader struct {
	name string
	lr   *lines.Reader
	err  error // the read error that ended the input, returned again
}

// maxLine bounds one line; audit records are at most 8 KiB
// (MAX_AUDIT_MESSAGE_LENGTH) and journal entries a little more.
const maxLine = 1 << 20

// NewReader returns a Reader of r; name is used in errors.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, lr: lines.NewReader(r, maxLine)}
}

// Next returns the next seccomp record, or io.EOF at the end. A record
// that cannot be read is a *SyntaxError naming the file and line, and a
// line longer than any log's is one too; a record the kernel did not
// write is an *UntrustedError. Next can be called again after either to
// go on. Any other error ends the input: Next returns it again.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	for {
		text, long, err := r.lr.Next()
		if err == io.EOF {
			r.err = io.EOF
			return Event{}, io.EOF
		}
		if err != nil {
			r.err = fmt.Errorf("read %s: %w", r.name, err)
			return Event{}, r.err
		}
		if long {
			return Event{}, &SyntaxError{File: r.name, Line: r.lr.Line(), Msg: fmt.Sprintf("line longer than %d bytes: not a log", maxLine), Err: ErrLongLine}
		}
		e, ok, err := ParseLine(text)
		if err != nil {
			locate := func(file *string, line *int) { *file, *line = r.name, r.lr.Line() }
			var se *SyntaxError
			var ue *UntrustedError
			switch {
			case errors.As(err, &se):
				locate(&se.File, &se.Line)
			case errors.As(err, &ue):
				locate(&ue.File, &ue.Line)
			}
			return Event{}, err
		}
		if ok {
			return e, nil
		}
	}
}

// MaxSkipped is how many skipped lines ReadAll and ReadKmsg return one
// by one; the rest are counted in one last error.
const MaxSkipped = 20

// skipList keeps the first MaxSkipped errors and counts the others.
type skipList struct {
	errs []error
	more int
}

func (s *skipList) add(err error) {
	if len(s.errs) < MaxSkipped {
		s.errs = append(s.errs, err)
		return
	}
	s.more++
}

func (s *skipList) list() []error {
	if s.more > 0 {
		return append(s.errs, &MoreSkipped{N: s.more})
	}
	return s.errs
}

// MoreSkipped ends a list of skipped lines longer than MaxSkipped: it
// stands for the N lines skipped after those listed. It is
// errs.MoreSkipped, as strace's lists end with.
type MoreSkipped = errs.MoreSkipped

// SkipList keeps the first MaxSkipped errors it is given and counts the
// rest, for readers of logs that report skipped lines.
type SkipList struct{ skipList }

// Add notes one skipped line.
func (s *SkipList) Add(err error) { s.add(err) }

// List returns the errors kept, then a *MoreSkipped for the others.
func (s *SkipList) List() []error { return s.list() }

// ReadAll reads every seccomp record of r. It skips the lines whose
// record the kernel did not write and the lines too long to be a log's
// (ErrLongLine), and returns them as skipped (at most MaxSkipped, then a
// *MoreSkipped); it stops at the first record that cannot be read.
func ReadAll(r io.Reader, name string) (events []Event, skipped []error, err error) {
	skipped, err = ReadEach(r, name, func(e Event) { events = append(events, e) })
	return events, skipped, err
}

// ReadEach is ReadAll that hands each record to fn as it is read,
// holding none: memory holds one line, whatever r is.
func ReadEach(r io.Reader, name string, fn func(Event)) (skipped []error, err error) {
	rd := NewReader(r, name)
	var skip skipList
	for {
		e, err := rd.Next()
		var ue *UntrustedError
		switch {
		case err == io.EOF:
			return skip.list(), nil
		case errors.As(err, &ue) || errors.Is(err, ErrLongLine):
			skip.add(err)
		case err != nil:
			return skip.list(), err
		default:
			fn(e)
		}
	}
}

// Skippable reports whether err, from Reader.Next or Follower.Next, is
// about one line only (*SyntaxError, *UntrustedError): reading can go
// on after it.
func Skippable(err error) bool {
	var se *SyntaxError
	var ue *UntrustedError
	return errors.As(err, &se) || errors.As(err, &ue)
}

// ReadFile is ReadAll of the file path.
func ReadFile(path string) (events []Event, skipped []error, err error) {
	skipped, err = ReadFileEach(path, func(e Event) { events = append(events, e) })
	return events, skipped, err
}

// ReadFileEach is ReadEach of the file path.
func ReadFileEach(path string, fn func(Event)) (skipped []error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a log file", path)
	}
	return ReadEach(f, path, fn)
}

// ReadLog hands fn the records of a log as it reads them, as ReadEach
// does: of the file path, of stdin when path is "-", or of the kernel's
// log buffer now when path is "" (ReadKmsg). source names what was read
// ("the kernel log", "standard input" or path).
func ReadLog(path string, stdin io.Reader, fn func(Event)) (source string, skipped []error, err error) {
	switch path {
	case "":
		var events []Event // the kernel's buffer: bounded
		events, skipped, err = ReadKmsg("")
		for _, e := range events {
			fn(e)
		}
		return "the kernel log", skipped, err
	case "-":
		skipped, err = ReadEach(stdin, "<stdin>", fn)
		return "standard input", skipped, err
	}
	skipped, err = ReadFileEach(path, fn)
	return path, skipped, err
}

// DaemonRunning reports whether an audit daemon seems to run (its pid
// file names a live process): the kernel then sends seccomp records to
// it instead of its log.
func DaemonRunning() bool {
	for _, f := range []string{"/run/auditd.pid", "/var/run/auditd.pid"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			return true
		}
	}
	return false
}
