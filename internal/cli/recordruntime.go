package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/syscage/syscage/record/container"
)

// createContainer makes the container of record --bundle (nil without
// it), whose init process the recording follows.
func createContainer(e *env, o recordOptions) (*container.Container, error) {
	if o.bundle == "" {
		return nil, nil
	}
	rt, err := exec.LookPath(o.runtime)
	if err != nil {
		return nil, usagef("--runtime: %v", err)
	}
	c, err := container.Create(context.Background(), rt, o.bundle, fileOr(e.stdout, os.Stdout), fileOr(e.stderr, os.Stderr))
	if err != nil {
		return nil, withCode(ExitFailure, err)
	}
	fmt.Fprintf(e.stderr, "syscage: record: container %s of %s created; its init is process %d\n", c.ID, o.bundle, c.Pid)
	return c, nil
}

// startContainer lets the container of record --bundle run, once the
// recording follows its init; if it cannot, the container is ended (and
// with it the recording).
func startContainer(e *env, c *container.Container) {
	if c == nil {
		return
	}
	if err := c.Start(context.Background()); err != nil {
		fmt.Fprintf(e.stderr, "syscage: record: %v\n", err)
		_ = c.Delete()
	}
}
