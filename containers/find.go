package containers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultRoots are the state directories Find reads by default, as
// filepath.Glob patterns: runc's (also CRI-O's and podman's as root),
// containerd's runc shim (one per containerd namespace: k8s.io, moby),
// Docker's, crun's, and rootless podman's.
var DefaultRoots = []string{
	"/run/runc",
	"/run/containerd/runc/*",
	"/run/docker/runtime-runc/*",
	"/run/crun",
	"/run/user/*/runc",
	"/run/user/*/crun",
}

// Container is a container found in a runtime's state directory.
type Container struct {
	ID      string `json:"id"`
	Runtime string `json:"runtime"` // "runc" or "crun", by the layout of its state
	Root    string `json:"root"`    // the state directory it was found in
	Bundle  string `json:"bundle"`  // the directory of its config.json
	Pid     int    `json:"pid"`     // its init process, 0 when it has none
	// Start is the init process's start time in clock ticks after boot
	// (field 22 of /proc/PID/stat) as the runtime recorded it.
	Start uint64 `json:"-"`
}

// Running reports whether c's init process still runs: a process with
// its number that started when the runtime says it did.
func (c Container) Running() bool {
	if c.Pid <= 0 {
		return false
	}
	st, err := startTime(c.Pid)
	return err == nil && st == c.Start
}

// Find returns the containers of the state directories matching roots
// (filepath.Glob patterns), by root and then by name. A root that does
// not exist has no containers. errs are the containers whose state could
// not be read (one that ended while Find read it is left out); err is a
// root that cannot be listed.
func Find(roots []string) (cs []Container, errs []error, err error) {
	var dirs []string
	for _, r := range roots {
		m, err := filepath.Glob(r)
		if err != nil {
			return nil, nil, fmt.Errorf("root %s: %w", r, err)
		}
		for _, d := range m {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	for _, root := range dirs {
		ents, err := os.ReadDir(root)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, nil, fmt.Errorf("root %s: %w", root, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			c, ok, err := readState(root, e.Name())
			switch {
			case err != nil:
				errs = append(errs, err)
			case ok:
				cs = append(cs, c)
			}
		}
	}
	return cs, errs, nil
}

// readState reads the state of container id under root: runc's
// state.json or crun's status. ok is false for a directory that holds
// neither (or lost it: the container was deleted meanwhile).
func readState(root, id string) (c Container, ok bool, err error) {
	dir := filepath.Join(root, id)
	c = Container{ID: id, Root: root}
	if b, err := os.ReadFile(filepath.Join(dir, "state.json")); err == nil {
		c.Runtime = "runc"
		return c, true, c.parseRunc(filepath.Join(dir, "state.json"), b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return c, false, fmt.Errorf("container %s: %w", id, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		c.Runtime = "crun"
		return c, true, c.parseCrun(filepath.Join(dir, "status"), b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return c, false, fmt.Errorf("container %s: %w", id, err)
	}
	return c, false, nil
}

// parseRunc reads runc's state.json (libcontainer's State): the init
// process, its start time, and the bundle, which runc keeps as the label
// "bundle=DIR" of the container's configuration.
func (c *Container) parseRunc(name string, b []byte) error {
	var s struct {
		Pid    int             `json:"init_process_pid"`
		Start  json.RawMessage `json:"init_process_start"`
		Config struct {
			Labels []string `json:"labels"`
		} `json:"config"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, l := range s.Config.Labels {
		if v, ok := strings.CutPrefix(l, "bundle="); ok {
			c.Bundle = v
		}
	}
	if c.Bundle == "" {
		return fmt.Errorf("%s: no bundle= label in its config: not runc's state", name)
	}
	c.Pid = s.Pid
	// runc wrote the start time as a string before 1.0, as a number
	// since.
	start, err := strconv.ParseUint(string(bytes.Trim(s.Start, `"`)), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: init_process_start %s: not a number", name, s.Start)
	}
	c.Start = start
	return nil
}

// parseCrun reads crun's status file.
func (c *Container) parseCrun(name string, b []byte) error {
	var s struct {
		Pid    int    `json:"pid"`
		Start  uint64 `json:"process-start-time"`
		Bundle string `json:"bundle"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if s.Bundle == "" {
		return fmt.Errorf("%s: no bundle: not crun's status", name)
	}
	c.Pid, c.Start, c.Bundle = s.Pid, s.Start, s.Bundle
	return nil
}

// startTime reads field 22 of /proc/PID/stat.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// "PID (COMM) S ...": the name may hold anything, ")" too.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (the state): field 22 is f[19].
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// Processes returns the processes of container c, c.Pid first: those of
// its PID namespace that are in its cgroup or a cgroup below it (cgroup
// v2). Both count: the containers of a Kubernetes pod with
// shareProcessNamespace share one PID namespace, each in its cgroup; a
// container in the host's PID namespace has only its cgroup, and one
// whose cgroup cannot be told (cgroup v1 only, or the root cgroup) only
// its PID namespace.
func Processes(c Container) ([]int, error) {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", c.Pid))
	if err != nil {
		return nil, fmt.Errorf("container %s: pid %d: %w", c.ID, c.Pid, err)
	}
	self, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.ID, err)
	}
	cg, cgErr := cgroup2(c.Pid)
	byCgroup := cgErr == nil && cg != "/"
	if ns == self && !byCgroup {
		if cgErr != nil {
			return nil, fmt.Errorf("container %s: pid %d shares the host's PID namespace and its cgroup cannot be read: %w", c.ID, c.Pid, cgErr)
		}
		return nil, fmt.Errorf("container %s: pid %d shares the host's PID namespace and is in the root cgroup: its processes cannot be told from the host's", c.ID, c.Pid)
	}
	match := func(pid int) bool {
		if ns != self {
			if n, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || n != ns {
				return false
			}
		}
		if !byCgroup {
			return true
		}
		g, err := cgroup2(pid)
		return err == nil && (g == cg || strings.HasPrefix(g, cg+"/"))
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := []int{c.Pid}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == c.Pid {
			continue
		}
		if match(pid) {
			out = append(out, pid)
		}
	}
	slices.Sort(out[1:])
	return out, nil
}

// cgroup2 reads the cgroup v2 path of pid ("0::PATH" in /proc/PID/cgroup).
func cgroup2(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("pid %d: no cgroup v2 path in /proc/%d/cgroup", pid, pid)
}
