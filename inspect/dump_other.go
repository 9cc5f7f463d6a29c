//go:build !linux

package inspect

import "fmt"

// Dump is not supported: reading a process's filters is Linux's.
func Dump(pid int) ([]Filter, error) {
	return nil, fmt.Errorf("dump pid %d: %w", pid, ErrNotSupported)
}

// Task is the filters of one thread.
type Task struct {
	TID     int
	Filters []Filter
}

// DumpTasks is not supported: reading a process's filters is Linux's.
func DumpTasks(pid int) ([]Task, error) {
	return nil, fmt.Errorf("dump pid %d: %w", pid, ErrNotSupported)
}
