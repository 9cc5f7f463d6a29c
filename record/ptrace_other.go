//go:build !linux

package record

import (
	"context"
	"fmt"
	"os"
)

// Run needs Linux.
func Run(ctx context.Context, argv []string, o Options) (*Result, error) {
	return nil, fmt.Errorf("record: recording system calls needs Linux: %w", ErrNotSupported)
}

// ExecHelper needs Linux.
func ExecHelper(args []string) error {
	return fmt.Errorf("record: recording system calls needs Linux: %w", ErrNotSupported)
}

// ForwardSignals are none where recording is not supported.
var ForwardSignals []os.Signal
