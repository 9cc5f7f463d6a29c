//go:build linux

package audit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

type kmsgFile = *os.File

// kmsgRecord is enough for one /dev/kmsg record (the kernel refuses
// reads shorter than the record with EINVAL; records are at most 8 KiB
// of text plus the prefix and dictionary).
const kmsgRecord = 16 << 10

// Follow opens the kernel log (/dev/kmsg) for following. Reading it needs
// CAP_SYSLOG, or kernel.dmesg_restrict=0. Close the Follower to stop a
// Next that is waiting.
func Follow(o FollowOptions) (*Follower, error) {
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
	return &Follower{f: f, buf: make([]byte, kmsgRecord)}, nil
}

// Next waits for the next seccomp record and returns it. After Close it
// returns an error wrapping os.ErrClosed. A record the parser cannot read
// is returned as a *SyntaxError (File is the device, Line 0); Next can be
// called again after it.
func (f *Follower) Next() (Event, error) {
	for {
		n, err := f.f.Read(f.buf)
		if errors.Is(err, syscall.EPIPE) {
			// The kernel overwrote records we had not read yet; the
			// next read continues with the oldest one left.
			f.lost.Add(1)
			continue
		}
		if err != nil {
			return Event{}, fmt.Errorf("read the kernel log: %w", err)
		}
		e, ok, perr := parseKmsg(f.buf[:n])
		if perr != nil {
			perr.File = f.f.Name()
			return Event{}, perr
		}
		if ok {
			return e, nil
		}
	}
}

// Close stops following; a waiting Next returns.
func (f *Follower) Close() error { return f.f.Close() }

// ReadKmsg returns the seccomp records now in the kernel's log buffer,
// oldest first, without waiting for more. path "" means Kmsg.
func ReadKmsg(path string) ([]Event, error) {
	if path == "" {
		path = Kmsg
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("read the kernel log: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	defer syscall.Close(fd)
	buf := make([]byte, kmsgRecord)
	var out []Event
	for {
		n, err := syscall.Read(fd, buf)
		switch {
		case err == syscall.EINTR || err == syscall.EPIPE:
			continue
		case err == syscall.EAGAIN:
			return out, nil
		case err != nil:
			return out, fmt.Errorf("read the kernel log %s: %w", path, err)
		case n == 0:
			return out, nil
		}
		e, ok, perr := parseKmsg(buf[:n])
		if perr != nil {
			perr.File = path
			return out, perr
		}
		if ok {
			out = append(out, e)
		}
	}
}

// parseKmsg reads one /dev/kmsg record: "prio,seq,usec,flags;message\n"
// and continuation lines " KEY=value" that it ignores.
func parseKmsg(rec []byte) (Event, bool, *SyntaxError) {
	s := string(rec)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return parseText(s, 0)
}
