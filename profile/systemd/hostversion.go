package systemd

import (
	"context"
	"fmt"
)

// Runner runs a program with arguments and returns its standard output,
// as (*exec.Cmd).Output does. It lets callers (and tests) choose how
// systemctl is run.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// HostVersion returns the version of the systemd that run reaches, as
// 'systemctl --version' prints it on its first line ("systemd 257
// (257.9-1)"), or MinVersion when systemctl cannot be run, prints
// something else, or is older than the names syscage knows: a unit is
// then written for the oldest systemd syscage knows, which every later
// one reads alike.
func HostVersion(ctx context.Context, run Runner) int {
	out, err := run(ctx, "systemctl", "--version")
	if err != nil {
		return MinVersion
	}
	return ParseVersion(out)
}

// ParseVersion reads the version from the output of 'systemctl
// --version', or returns MinVersion (see HostVersion).
func ParseVersion(out []byte) int {
	var v int
	if _, err := fmt.Sscanf(string(out), "systemd %d", &v); err != nil || v < MinVersion {
		return MinVersion
	}
	return v
}
