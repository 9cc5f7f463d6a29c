//go:build !linux

package inspect

import "fmt"

// Dump is not supported: reading a process's filters is Linux's.
func Dump(pid int, o DumpOptions) ([]Filter, error) {
	return nil, fmt.Errorf("dump pid %d: %w", pid, ErrNotSupported)
}

// DumpTasks is not supported: reading a process's filters is Linux's.
func DumpTasks(pid int, o DumpOptions) ([]Task, error) {
	return nil, fmt.Errorf("dump pid %d: %w", pid, ErrNotSupported)
}
