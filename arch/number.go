package arch

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseNumber reads a system-call number written in decimal or 0x hex, as
// scmp_sys_resolver and ausyscall accept them. Signs, spaces and numbers
// beyond 32 bits are errors.
func ParseNumber(s string) (uint32, error) {
	base, digits := 10, s
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		base, digits = 16, s[2:]
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' || digits[0] == '_' {
		return 0, fmt.Errorf("%q is not a system-call number", s)
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a system-call number (decimal or 0x hex, at most 32 bits)", s)
	}
	return uint32(v), nil
}

// Resolve answers a query the way resolve does: a number gives its name,
// a name its number. ok is false when a has no such system call.
func (a Arch) Resolve(q string) (name string, nr uint32, ok bool) {
	if n, err := ParseNumber(q); err == nil {
		name, ok = a.SyscallName(n)
		return name, n, ok
	}
	nr, ok = a.SyscallNumber(q)
	return q, nr, ok
}
