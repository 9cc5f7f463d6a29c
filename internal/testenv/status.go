package testenv

import (
	"os"
	"strconv"
	"strings"
)

// StatusField returns the value of field key ("Seccomp", "CapEff",
// "SigIgn", ...) in status, the text of a /proc/PID/status file, blanks
// trimmed; "" when it has none.
func StatusField(status, key string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// CapSysAdmin is CAP_SYS_ADMIN's bit in the capability sets.
const CapSysAdmin = 21

// HasCapability reports whether the test process has capability bit
// (CapSysAdmin, ...) in its effective set.
func HasCapability(bit uint) bool {
	b, _ := os.ReadFile("/proc/self/status")
	caps, err := strconv.ParseUint(StatusField(string(b), "CapEff"), 16, 64)
	return err == nil && caps&(1<<bit) != 0
}
