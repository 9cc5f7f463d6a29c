//go:build linux

package audit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/syscage/syscage/internal/unix"
)

type kmsgFile = *os.File

// kmsgRecord is enough for one /dev/kmsg record (the kernel refuses
// reads shorter than the record with EINVAL; records are at most 8 KiB
// of text plus the prefix and dictionary) and for one audit netlink
// message (MAX_AUDIT_MESSAGE_LENGTH, 8970 bytes).
const kmsgRecord = 16 << 10

// auditSeccomp is AUDIT_SECCOMP (<linux/audit.h>), the type of the
// netlink messages that carry seccomp records.
const auditSeccomp = 1326

// Follow opens the kernel log (/dev/kmsg) or the audit netlink group for
// following. Reading /dev/kmsg needs CAP_SYSLOG (or
// kernel.dmesg_restrict=0), the netlink group CAP_AUDIT_READ. Close the
// Follower to stop a Next that is waiting.
func Follow(o FollowOptions) (*Follower, error) {
	src := o.Source
	var f *os.File
	if src == SourceNetlink || src == SourceAuto {
		var err error
		f, err = unix.OpenAuditNetlink()
		switch {
		case err == nil:
			src = SourceNetlink
		case src == SourceNetlink:
			return nil, fmt.Errorf("follow the audit netlink group: %w", err)
		default:
			src = SourceKmsg
		}
	}
	fl := &Follower{source: src, buf: make([]byte, kmsgRecord)}
	if src == SourceNetlink {
		fl.f = f
		if o.FromStart {
			// Joined first, read the buffer second: nothing falls in
			// between; what is in both is returned once.
			ev, skipped, err := ReadKmsg(o.Path)
			if err != nil {
				f.Close()
				return nil, err
			}
			fl.pending, fl.pendingSkipped = ev, skipped
			fl.seen = map[uint64]bool{}
			for _, e := range ev {
				fl.seen[e.Serial] = true
			}
		}
		return fl, nil
	}
	path := o.Path
	if path == "" {
		path = Kmsg
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("follow the kernel log: %w", err)
	}
	if !o.FromStart {
		// SEEK_END on /dev/kmsg moves past the last record.
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return nil, fmt.Errorf("follow the kernel log %s: seek to the end: %w", path, err)
		}
	}
	fl.f = f
	return fl, nil
}

// Next waits for the next seccomp record and returns it. After Close it
// returns an error wrapping os.ErrClosed. A record the parser cannot read
// is returned as a *SyntaxError (File is the source, Line 0), the text of
// a record that a program wrote to the kernel log as an *UntrustedError;
// Next can be called again after either.
func (f *Follower) Next() (Event, error) {
	if len(f.pendingSkipped) > 0 {
		err := f.pendingSkipped[0]
		f.pendingSkipped = f.pendingSkipped[1:]
		return Event{}, err
	}
	for len(f.pending) > 0 {
		e := f.pending[0]
		f.pending = f.pending[1:]
		return e, nil
	}
	for {
		n, err := f.f.Read(f.buf)
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ENOBUFS) {
			// kmsg: the kernel overwrote records we had not read yet;
			// netlink: the socket's buffer overflowed.
			f.lost.Add(1)
			continue
		}
		if err != nil {
			return Event{}, fmt.Errorf("read the %s: %w", f.what(), err)
		}
		var e Event
		var ok bool
		var perr error
		if f.source == SourceNetlink {
			e, ok, perr = parseNetlink(f.buf[:n])
			if ok && f.seen[e.Serial] {
				continue
			}
		} else {
			e, ok, perr = parseKmsg(f.buf[:n])
		}
		if perr != nil {
			return Event{}, inFile(perr, f.f.Name())
		}
		if ok {
			return e, nil
		}
	}
}

func (f *Follower) what() string {
	if f.source == SourceNetlink {
		return "audit netlink group"
	}
	return "kernel log"
}

// Close stops following; a waiting Next returns.
func (f *Follower) Close() error { return f.f.Close() }

// ReadKmsg returns the seccomp records now in the kernel's log buffer,
// oldest first, without waiting for more. path "" means Kmsg. Records of
// the text of a seccomp record that a program wrote to the log are
// skipped and returned as skipped, as ReadAll does.
func ReadKmsg(path string) (events []Event, skipped []error, err error) {
	if path == "" {
		path = Kmsg
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("read the kernel log: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	defer syscall.Close(fd)
	buf := make([]byte, kmsgRecord)
	var skip skipList
	for {
		n, err := syscall.Read(fd, buf)
		switch {
		case err == syscall.EINTR || err == syscall.EPIPE:
			continue
		case err == syscall.EAGAIN:
			return events, skip.list(), nil
		case err != nil:
			return events, skip.list(), fmt.Errorf("read the kernel log %s: %w", path, err)
		case n == 0:
			return events, skip.list(), nil
		}
		e, ok, perr := parseKmsg(buf[:n])
		var ue *UntrustedError
		switch {
		case errors.As(perr, &ue):
			skip.add(inFile(perr, path))
		case perr != nil:
			return events, skip.list(), inFile(perr, path)
		case ok:
			events = append(events, e)
		}
	}
}

// parseKmsg reads one /dev/kmsg record: "prio,seq,usec,flags;message\n"
// and continuation lines " KEY=value" that it ignores.
func parseKmsg(rec []byte) (Event, bool, error) {
	s := string(rec)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	e, ok, err := ParseLine(s)
	if err != nil {
		return Event{}, false, err
	}
	return e, ok, nil
}

// parseNetlink reads one audit netlink datagram: netlink messages whose
// type is the record type and whose payload is the record's text after
// "type=N ": "audit(1795984285.335:2): auid=...".
func parseNetlink(b []byte) (Event, bool, error) {
	for len(b) >= syscall.NLMSG_HDRLEN {
		n := int(binary.NativeEndian.Uint32(b[0:4]))
		typ := binary.NativeEndian.Uint16(b[4:6])
		if n < syscall.NLMSG_HDRLEN || n > len(b) {
			return Event{}, false, &SyntaxError{Msg: fmt.Sprintf("netlink message of %d bytes in a datagram of %d", n, len(b))}
		}
		if typ == auditSeccomp {
			text := strings.TrimRight(string(b[syscall.NLMSG_HDRLEN:n]), "\x00\n")
			// The message type is the kernel's: the text is the record.
			line := "type=1326 " + text
			if !strings.HasPrefix(line, kernelMarker) {
				return Event{}, false, syntaxf(0, "seccomp record without its audit(...) stamp")
			}
			e, err := parseRecord(line, len(kernelMarker), kindKernel, -len("type=1326 "))
			if err != nil {
				return Event{}, false, err
			}
			return e, true, nil
		}
		b = b[min(len(b), (n+3)&^3):]
	}
	return Event{}, false, nil
}
