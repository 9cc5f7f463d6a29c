// Package errs defines, once, the error categories that several syscage
// packages report. Each package re-exports the ones it returns
// (seccomp.ErrNotSupported is errs.ErrNotSupported, as is
// audit.ErrNotSupported), so errors.Is matches whichever name a caller
// uses, as cilium/ebpf does with its internal errors.
//
// The messages name the category only: the packages wrap them with what
// was being done, and say nothing of how a command line would fix it.
package errs

import (
	"errors"
	"fmt"
)

var (
	// ErrNotSupported reports a feature this platform or kernel lacks.
	ErrNotSupported = errors.New("not supported")
	// ErrNotFound reports a program that does not exist (exit 127 by the
	// shell's convention).
	ErrNotFound = errors.New("program not found")
	// ErrNoExec reports a program that exists but cannot be executed
	// (exit 126).
	ErrNoExec = errors.New("program cannot be executed")
)

// MoreSkipped ends a list of skipped input lines that a reader keeps
// bounded: it stands for the N lines skipped after those listed, so a
// flood of bad lines costs a count, not memory.
type MoreSkipped struct{ N int }

func (e *MoreSkipped) Error() string { return fmt.Sprintf("%d more lines like these skipped", e.N) }

// CountSkipped returns how many lines a list of skipped lines stands
// for: one each, and N for a *MoreSkipped.
func CountSkipped(list []error) int {
	n := 0
	for _, err := range list {
		var m *MoreSkipped
		if errors.As(err, &m) {
			n += m.N
			continue
		}
		n++
	}
	return n
}

// FirstSkipped returns the skipped lines of list to show one by one: the
// first max of them, up to a *MoreSkipped (input that is not what it
// should be, a binary file, would show one per line).
func FirstSkipped(list []error, max int) []error {
	for i, err := range list {
		var m *MoreSkipped
		if i == max || errors.As(err, &m) {
			return list[:i]
		}
	}
	return list
}

// OptionError is a request whose options do not go together, or hold a
// value that names nothing (a library's usage error). Its text names the
// options as syscage's flags spell them, the one vocabulary its users
// read; the library documents which field each name is.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

// Optionf returns an *OptionError.
func Optionf(format string, a ...any) error {
	return &OptionError{Msg: fmt.Sprintf(format, a...)}
}
