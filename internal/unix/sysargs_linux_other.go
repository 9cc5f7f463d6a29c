//go:build linux && !amd64

package unix

// syscallArgs is not implemented on this architecture: reports name the
// system call without its arguments.
func syscallArgs(tid int, auditArch uint32) ([6]uint64, bool) { return [6]uint64{}, false }

// syscallNr is not implemented on this architecture.
func syscallNr(tid int) (int64, bool) { return 0, false }
