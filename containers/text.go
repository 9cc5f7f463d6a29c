package containers

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/syscage/syscage/arch"
)

// maxCalls bounds the system calls a Line names.
const maxCalls = 12

// Line is r in one line: the container, its status, and what makes it
// (the system calls its filters decide otherwise, at most 12 named; the
// threads without a filter; why it cannot be proven or checked).
func (r Result) Line() string {
	where := fmt.Sprintf("%s, pid %d", r.Runtime, r.Pid)
	if n := len(r.Processes); n > 0 {
		where += fmt.Sprintf(", %d process%s", n, map[bool]string{true: "es"}[n > 1])
	}
	switch r.Status {
	case Match:
		return fmt.Sprintf("%s: match (%s)", r.ID, where)
	case Stopped:
		return fmt.Sprintf("%s: stopped (%s)", r.ID, r.Runtime)
	case Failed:
		msg := r.Error
		if msg == "" {
			msg = "threads unread: " + strings.Join(r.Unread, "; ")
		}
		return fmt.Sprintf("%s: error (%s): %s", r.ID, where, msg)
	case Unfiltered:
		if !r.Seccomp {
			return fmt.Sprintf("%s: unfiltered, as its config.json asks (%s)", r.ID, where)
		}
		var tids []string
		for _, g := range r.Groups {
			if len(g.Filters) == 0 {
				for _, t := range g.TIDs {
					tids = append(tids, fmt.Sprint(t))
				}
			}
		}
		s, run := "s", "run"
		if len(tids) == 1 {
			s, run = "", "runs"
		}
		return fmt.Sprintf("%s: unfiltered: thread%s %s %s without a filter, config.json asks for one (%s)", r.ID, s, strings.Join(tids, ", "), run, where)
	case Unproven:
		for _, g := range r.Groups {
			if g.Unproven != "" {
				return fmt.Sprintf("%s: cannot prove a match: %s (%s)", r.ID, g.Unproven, where)
			}
		}
	}
	var calls []string
	seen := map[string]bool{}
	for _, g := range r.Groups {
		for _, d := range g.Differences {
			s := d.Arch.String()
			if d.Arch == arch.Invalid {
				s = "unknown-arch"
			}
			if d.Syscall != "" {
				s += " " + d.Syscall
			} else {
				s += fmt.Sprintf(" %d", d.Nr)
			}
			if !seen[s] {
				seen[s] = true
				calls = append(calls, s)
			}
		}
	}
	more := ""
	if len(calls) > maxCalls {
		more = fmt.Sprintf(" and %d more", len(calls)-maxCalls)
		calls = calls[:maxCalls]
	}
	return fmt.Sprintf("%s: differs from its config.json on %s%s (%s)", r.ID, strings.Join(calls, ", "), more, where)
}

// RuntimeLibseccomp returns what the runtime's libseccomp lacks, by
// version: "none" for one that knows every system call of syscage's
// tables, one of LibseccompVersions, or "auto" for the version 'runc
// --version' names when run runs it (none when runc cannot be run or
// names no libseccomp). run returns a program's standard output, as
// (*exec.Cmd).Output does.
func RuntimeLibseccomp(ctx context.Context, version string, run func(ctx context.Context, name string, args ...string) ([]byte, error)) (Lacks, error) {
	switch version {
	case "none":
		return nil, nil
	case "auto":
		out, err := run(ctx, "runc", "--version")
		if err != nil {
			return nil, nil
		}
		m := regexp.MustCompile(`(?m)^libseccomp: ([0-9.]+)$`).FindSubmatch(out)
		if m == nil {
			return nil, nil
		}
		l, err := Libseccomp(string(m[1]))
		if err != nil {
			return nil, fmt.Errorf("runc --version: %w", err)
		}
		return l, nil
	}
	return Libseccomp(version)
}
