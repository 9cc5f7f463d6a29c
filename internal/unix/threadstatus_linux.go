package unix

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ThreadStatus is /proc/thread-self/status of the thread that opened it,
// kept open so that it can be read again after a seccomp filter is
// installed, with one raw pread64 and no allocation.
type ThreadStatus struct {
	fd  int
	buf []byte
}

// OpenThreadStatus opens /proc/thread-self/status of the calling thread
// (close-on-exec), with a raw system call.
func OpenThreadStatus() (*ThreadStatus, error) {
	path, err := unix.BytePtrFromString("/proc/thread-self/status")
	if err != nil {
		return nil, err
	}
	dirfd := unix.AT_FDCWD
	fd, _, e := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(path)), unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0)
	if e != 0 {
		return nil, e
	}
	return &ThreadStatus{fd: int(fd), buf: make([]byte, 8192)}, nil
}

// ReadCall is the system call Read makes: its number and arguments, as a
// seccomp filter sees them.
//
//go:nosplit
func (s *ThreadStatus) ReadCall() (nr uint32, args [6]uint64) {
	return unix.SYS_PREAD64, [6]uint64{uint64(s.fd), uint64(uintptr(unsafe.Pointer(&s.buf[0]))), uint64(len(s.buf))}
}

// CloseCall is the system call Close makes.
//
//go:nosplit
func (s *ThreadStatus) CloseCall() (nr uint32, args [6]uint64) {
	return unix.SYS_CLOSE, [6]uint64{uint64(s.fd)}
}

// Read reads the file from its start (the kernel writes it anew for each
// read from offset 0) into the ThreadStatus's own buffer, which it
// returns; the next Read overwrites it. ok is false when the read
// failed.
//
//go:nosplit
func (s *ThreadStatus) Read() (b []byte, ok bool) {
	nr, a := s.ReadCall()
	n, _, e := unix.RawSyscall6(uintptr(nr), uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), uintptr(a[3]), uintptr(a[4]), uintptr(a[5]))
	if e != 0 {
		return nil, false
	}
	return s.buf[:n], true
}

// Close closes the file with a raw system call.
//
//go:nosplit
func (s *ThreadStatus) Close() {
	nr, a := s.CloseCall()
	unix.RawSyscall(uintptr(nr), uintptr(a[0]), 0, 0)
}

// StatusField returns the decimal number of field key ("Seccomp_filters",
// "NoNewPrivs") in the text of a status file, without allocating; ok is
// false when the field is missing.
//
//go:nosplit
func StatusField(status []byte, key []byte) (n int, ok bool) {
	for len(status) > 0 {
		line := status
		if i := bytes.IndexByte(status, '\n'); i >= 0 {
			line, status = status[:i], status[i+1:]
		} else {
			status = nil
		}
		if !bytes.HasPrefix(line, key) || len(line) == len(key) || line[len(key)] != ':' {
			continue
		}
		digits := 0
		for _, c := range line[len(key)+1:] {
			switch {
			case c == ' ' || c == '\t':
				if digits > 0 {
					return n, true
				}
			case c >= '0' && c <= '9':
				n = n*10 + int(c-'0')
				digits++
			default:
				return 0, false
			}
		}
		return n, digits > 0
	}
	return 0, false
}
