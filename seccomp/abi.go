package seccomp

import (
	"strconv"
	"strings"
)

// The kernel's seccomp ABI, from <linux/seccomp.h>, in the kernel's
// spelling.

// Modes of prctl(PR_GET_SECCOMP) and /proc/PID/status Seccomp:.
const (
	SECCOMP_MODE_DISABLED = 0
	SECCOMP_MODE_STRICT   = 1
	SECCOMP_MODE_FILTER   = 2
)

// Operations of seccomp(2).
const (
	SECCOMP_SET_MODE_STRICT  = 0
	SECCOMP_SET_MODE_FILTER  = 1
	SECCOMP_GET_ACTION_AVAIL = 2
	SECCOMP_GET_NOTIF_SIZES  = 3
)

// Filter flags of SECCOMP_SET_MODE_FILTER.
const (
	SECCOMP_FILTER_FLAG_TSYNC              Flags = 1 << 0
	SECCOMP_FILTER_FLAG_LOG                Flags = 1 << 1
	SECCOMP_FILTER_FLAG_SPEC_ALLOW         Flags = 1 << 2
	SECCOMP_FILTER_FLAG_NEW_LISTENER       Flags = 1 << 3
	SECCOMP_FILTER_FLAG_TSYNC_ESRCH        Flags = 1 << 4
	SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV Flags = 1 << 5
)

// Return values of a filter: an action in the high 16 bits, data in the
// low 16.
const (
	SECCOMP_RET_KILL_PROCESS = 0x80000000
	SECCOMP_RET_KILL_THREAD  = 0x00000000
	SECCOMP_RET_KILL         = SECCOMP_RET_KILL_THREAD
	SECCOMP_RET_TRAP         = 0x00030000
	SECCOMP_RET_ERRNO        = 0x00050000
	SECCOMP_RET_USER_NOTIF   = 0x7fc00000
	SECCOMP_RET_TRACE        = 0x7ff00000
	SECCOMP_RET_LOG          = 0x7ffc0000
	SECCOMP_RET_ALLOW        = 0x7fff0000

	SECCOMP_RET_ACTION_FULL = 0xffff0000
	SECCOMP_RET_ACTION      = 0x7fff0000
	SECCOMP_RET_DATA        = 0x0000ffff
)

// Layout of struct seccomp_data.
const (
	OffsetNr        = 0
	OffsetArch      = 4
	OffsetIP        = 8
	OffsetArgs      = 16
	SeccompDataSize = 64
)

// Flags is a set of SECCOMP_FILTER_FLAG_* values.
type Flags uint

// flagNames lists the filter flags in the kernel's (bit) order.
var flagNames = []struct {
	f    Flags
	name string
}{
	{SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"},
	{SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG"},
	{SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
	{SECCOMP_FILTER_FLAG_NEW_LISTENER, "SECCOMP_FILTER_FLAG_NEW_LISTENER"},
	{SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"},
	{SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
}

// String lists the flags by name in the kernel's bit order, joined by
// "|", with bits syscage does not know last, in hex; the empty set is "0".
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	var names []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			names = append(names, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		names = append(names, "0x"+strconv.FormatUint(uint64(f), 16))
	}
	return strings.Join(names, "|")
}
