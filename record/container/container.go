// Package container runs an OCI bundle's container so that a recorder
// can follow it from its first call to its end: Create makes the
// container with the runtime (runc create, in a state directory of its
// own) and returns the pid of its init process, which waits to execute
// the container's program; a recorder attaches to that process and its
// descendants (record/ebpf's AttachPID), then Start lets it run (runc
// start). The recording then holds what the runtime's init does after
// it loaded the bundle's filter (with noNewPrivileges; without, runc
// loads it before Create returns, see profile/ociconfig's Runtime) and
// the container's whole life.
package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Container is a container made by Create.
type Container struct {
	Runtime string // the runtime's path
	Root    string // its state directory (--root)
	ID      string
	Pid     int // the init process, in this pid namespace
}

// Create makes a container of bundle with the runtime at runtime (runc
// or a runtime with its command line), in a new state directory; the
// container's standard output and error are stdout and stderr (files,
// which it keeps open while it runs; nil: /dev/null). Delete it once
// done.
func Create(ctx context.Context, runtime, bundle string, stdout, stderr *os.File) (*Container, error) {
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", bundle, err)
	}
	root, err := os.MkdirTemp("", "syscage-runtime-")
	if err != nil {
		return nil, err
	}
	c := &Container{Runtime: runtime, Root: root, ID: "syscage-" + strconv.Itoa(os.Getpid())}
	cmd := exec.CommandContext(ctx, runtime, "--root", root, "create", "--bundle", bundle, c.ID)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	var errb strings.Builder
	if stderr == nil {
		cmd.Stderr = &errb
	}
	if err := cmd.Run(); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("%s create: %w%s", filepath.Base(runtime), err, strings.TrimRight("\n"+errb.String(), "\n"))
	}
	out, err := exec.CommandContext(ctx, runtime, "--root", root, "state", c.ID).Output()
	if err == nil {
		var st struct{ Pid int }
		if err = json.Unmarshal(out, &st); err == nil && st.Pid <= 0 {
			err = errors.New("no pid")
		}
		c.Pid = st.Pid
	}
	if err != nil {
		c.Delete()
		return nil, fmt.Errorf("%s state: %w", filepath.Base(runtime), err)
	}
	return c, nil
}

// Start lets the container's init execute its program.
func (c *Container) Start(ctx context.Context) error {
	if out, err := exec.CommandContext(ctx, c.Runtime, "--root", c.Root, "start", c.ID).CombinedOutput(); err != nil {
		return fmt.Errorf("%s start: %w: %s", filepath.Base(c.Runtime), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Delete removes the container, ending it if it still runs, and its
// state directory.
func (c *Container) Delete() error {
	out, err := exec.Command(c.Runtime, "--root", c.Root, "delete", "--force", c.ID).CombinedOutput()
	os.RemoveAll(c.Root)
	if err != nil {
		return fmt.Errorf("%s delete: %w: %s", filepath.Base(c.Runtime), err, strings.TrimSpace(string(out)))
	}
	return nil
}
