//go:build !linux

package launch

import (
	"os"

	"github.com/syscage/syscage/seccomp"
)

// StageArg is the first argument with which Start runs the stage.
const StageArg = "__syscage-launch-stage"

// Init does nothing on this platform.
func Init() {}

// RunStage is not supported on this platform.
func RunStage(args []string) { panic("launch: " + seccomp.ErrNotSupported.Error()) }

type sysCmd struct{}

// Run is not supported on this platform.
func (c *Cmd) Run() error { return c.Start() }

// Start is not supported on this platform.
func (c *Cmd) Start() error {
	return &StartError{Kind: ErrSetup, Msg: "launch: " + seccomp.ErrNotSupported.Error()}
}

// Wait is not supported on this platform.
func (c *Cmd) Wait() error { return c.Start() }

// Inherited is not supported on this platform.
func Inherited(fd int) (*os.File, error) { return nil, seccomp.ErrNotSupported }

// Report is empty on this platform, where nothing runs.
func (c *Cmd) Report() Report { return Report{Denials: []Denial{}} }
