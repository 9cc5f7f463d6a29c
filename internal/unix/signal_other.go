//go:build !linux

package unix

import "syscall"

// SignalName returns the name of sig, such as "SIGSEGV", or "" (always
// "" where syscage does not run programs).
func SignalName(sig syscall.Signal) string { return "" }
