//go:build !linux

package record

import (
	"context"
	"errors"
	"os"
)

// ErrNotSupported reports that recording needs Linux.
var ErrNotSupported = errors.New("recording system calls needs Linux")

// Run needs Linux.
func Run(ctx context.Context, argv []string, o Options) (*Result, error) { return nil, ErrNotSupported }

// ExecHelper needs Linux.
func ExecHelper(args []string) error { return ErrNotSupported }

// ForwardSignals are none where recording is not supported.
var ForwardSignals []os.Signal
