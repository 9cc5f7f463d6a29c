//go:build !linux

package unix

import (
	"strconv"
	"syscall"
)

// SignalName returns the name of sig, such as "SIGSEGV", or "" (always
// "" where syscage does not run programs).
func SignalName(sig syscall.Signal) string { return "" }

// SignalString names sig: "signal N" where syscage does not run
// programs.
func SignalString(sig syscall.Signal) string { return "signal " + strconv.Itoa(int(sig)) }
