package cli

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/containers"
	"github.com/syscage/syscage/inspect"
)

type containersFlags struct {
	containers bool
	roots      []string
	libseccomp string
}

func (cf *containersFlags) add(c *cobra.Command) {
	f := c.Flags()
	f.BoolVar(&cf.containers, "containers", false, "check every running container of the node against its bundle's config.json")
	f.StringArrayVar(&cf.roots, "root", containers.DefaultRoots, "with --containers, a runtime state `DIR` (a glob pattern; repeatable)")
	f.StringVar(&cf.libseccomp, "libseccomp", "auto", "with --containers, the libseccomp `VERSION` the runtime links ("+strings.Join(containers.LibseccompVersions, ", ")+"), \"none\" for one that knows every system call of syscage's tables, or \"auto\": the one 'runc --version' names, else none")
}

func runVerifyContainers(e *env, o verifyOptions, args []string, rootsGiven bool) error {
	if len(args) > 0 || o.pid != 0 {
		return usagef("verify --containers takes no --pid and no arguments")
	}
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	lacks, err := runtimeLibseccomp(o.libseccomp)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	if rootsGiven {
		for _, r := range o.roots {
			if m, err := filepath.Glob(r); err != nil || len(m) == 0 {
				return usagef("--root %s: no such directory", r)
			}
		}
	}
	cs, errs, err := containers.Find(o.roots)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "syscage: %v\n", err)
	}
	finding := len(errs) > 0
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, c := range cs {
		r := containers.Check(c, containers.Options{Host: host, Dump: inspect.DumpOptions{Timeout: o.timeout}, Lacks: lacks})
		finding = finding || r.Finding
		if o.json {
			if err := enc.Encode(r); err != nil {
				return withCode(ExitFailure, err)
			}
			continue
		}
		fmt.Fprintln(e.stdout, containerLine(r))
	}
	if len(cs) == 0 {
		fmt.Fprintf(e.stderr, "syscage: no containers under %s\n", strings.Join(o.roots, ", "))
	}
	if finding {
		return silentExit(ExitFinding)
	}
	return nil
}

// runtimeLibseccomp reads --libseccomp.
func runtimeLibseccomp(v string) (containers.Lacks, error) {
	switch v {
	case "none":
		return nil, nil
	case "auto":
		out, err := exec.Command("runc", "--version").Output()
		if err != nil {
			return nil, nil
		}
		m := regexp.MustCompile(`(?m)^libseccomp: ([0-9.]+)$`).FindSubmatch(out)
		if m == nil {
			return nil, nil
		}
		l, err := containers.Libseccomp(string(m[1]))
		if err != nil {
			return nil, fmt.Errorf("runc --version: %w: pass --libseccomp", err)
		}
		return l, nil
	}
	return containers.Libseccomp(v)
}

// maxCalls bounds the system calls a line names.
const maxCalls = 12

// containerLine is the one line of r.
func containerLine(r containers.Result) string {
	where := fmt.Sprintf("%s, pid %d", r.Runtime, r.Pid)
	if n := len(r.Processes); n > 0 {
		where += fmt.Sprintf(", %d process%s", n, map[bool]string{true: "es"}[n > 1])
	}
	switch r.Status {
	case containers.Match:
		return fmt.Sprintf("%s: match (%s)", r.ID, where)
	case containers.Stopped:
		return fmt.Sprintf("%s: stopped (%s)", r.ID, r.Runtime)
	case containers.Failed:
		msg := r.Error
		if msg == "" {
			msg = "threads unread: " + strings.Join(r.Unread, "; ")
		}
		return fmt.Sprintf("%s: error (%s): %s", r.ID, where, msg)
	case containers.Unfiltered:
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
		return fmt.Sprintf("%s: unfiltered: thread%s %s run%s without a filter, config.json asks for one (%s)", r.ID, plural(len(tids)), strings.Join(tids, ", "), verbS(len(tids) == 1), where)
	case containers.Unproven:
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
