//go:build !linux

package record

import (
	"context"
	"errors"
	"os"
	"syscall"

	"github.com/syscage/syscage/profile"
)

// HelperCommand is the first argument of the recording helper.
const HelperCommand = "__record-exec"

// ErrNotSupported reports that recording needs Linux.
var ErrNotSupported = errors.New("recording system calls needs Linux")

// Errors of Run.
var (
	ErrNotFound = errors.New("program not found")
	ErrNoExec   = errors.New("program cannot be executed")
	ErrAttach   = errors.New("cannot trace the program")
)

// Options control Run.
type Options struct {
	Helper                []string
	Args                  bool
	Stdin, Stdout, Stderr *os.File
	Env                   []string
	Dir                   string
	Stop                  syscall.Signal
	Stops                 bool
	Known                 *profile.Profile
}

// Result is how the recorded program ended.
type Result struct {
	Recording *Recording
	ExitCode  int
	Signal    syscall.Signal
	Listener  bool
}

// Run needs Linux.
func Run(ctx context.Context, argv []string, o Options) (*Result, error) { return nil, ErrNotSupported }

// ExecHelper needs Linux.
func ExecHelper(args []string) error { return ErrNotSupported }
