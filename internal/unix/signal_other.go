//go:build !linux

package unix

import (
	"fmt"
	"strconv"
	"syscall"
)

// SignalName returns the name of sig, such as "SIGSEGV", or "" (always
// "" where syscage does not run programs).
func SignalName(sig syscall.Signal) string { return "" }

// SignalString names sig: "signal N" where syscage does not run
// programs.
func SignalString(sig syscall.Signal) string { return "signal " + strconv.Itoa(int(sig)) }

// ParseSignal reads a signal by its number (1-64) where syscage does not
// run programs.
func ParseSignal(s string) (syscall.Signal, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("%q: want a signal number (1-64)", s)
	}
	return syscall.Signal(n), nil
}

// ForwardableSignals are none where syscage does not run programs.
func ForwardableSignals() []syscall.Signal { return nil }
