//go:build !linux

package seccomp

import "fmt"

// Probe needs Linux; elsewhere it returns ErrNotSupported.
func Probe() (*Features, error) {
	return nil, fmt.Errorf("probe: seccomp needs Linux: %w", ErrNotSupported)
}
