//go:build !linux

package inspect

import "fmt"

// Dump is not supported: reading a process's filters is Linux's.
func Dump(pid int) ([]Filter, error) {
	return nil, fmt.Errorf("dump pid %d: %w", pid, ErrNotSupported)
}
