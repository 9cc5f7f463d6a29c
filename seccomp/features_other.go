//go:build !linux

package seccomp

// Probe is not supported off Linux.
func Probe() (*Features, error) { return nil, ErrNotSupported }
