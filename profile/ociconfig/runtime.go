package ociconfig

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// A profile in a config.json filters the runtime too: runc's init loads
// it and then makes a few calls of its own before it executes the
// container's program (closing descriptors, opening and writing its exec
// fifo; without noNewPrivileges also dropping capabilities and changing
// user). A profile recorded from the program alone denies some of them
// and the container never starts. The calls are learned by recording
// the runtime itself and kept per runtime and version in
// runtimes/NAME-VERSION.txt.

//go:embed runtimes/*.txt
var runtimeFiles embed.FS

// ErrNoRuntime reports a runtime of which nothing is known.
var ErrNoRuntime = errors.New("no data for this runtime")

// When is when a runtime makes a call after loading the filter.
type When int

const (
	// Always: with and without noNewPrivileges.
	Always When = iota
	// Privs: without noNewPrivileges only (runc loads the filter
	// earlier then: before it drops capabilities and changes user).
	Privs
	// GoRuntime: the runtime's Go scheduler on the filtered thread,
	// with and without noNewPrivileges, not in every run.
	GoRuntime
)

var whenNames = map[string]When{"always": Always, "privs": Privs, "go": GoRuntime}

// Need is one call a runtime makes between loading the filter and
// executing the container's program.
type Need struct {
	Name   string
	When   When
	Reason string // the runtime's function that makes it
}

// Runtime is what an OCI runtime of one version needs of the profiles it
// loads.
type Runtime struct {
	Name    string // "runc"
	Version string // as "runc --version" says it
	Commit  string // its "commit:" line ("" when it has none)
	File    string // the data file
	Needs   []Need
}

// String is "runc 1.1.5+ds1 (1.1.5+ds1-1+deb12u1)".
func (rt *Runtime) String() string {
	if rt.Commit == "" || rt.Commit == rt.Version {
		return rt.Name + " " + rt.Version
	}
	return fmt.Sprintf("%s %s (%s)", rt.Name, rt.Version, rt.Commit)
}

// For returns the calls the runtime makes after loading the filter of a
// container whose process.noNewPrivileges is noNewPrivs.
func (rt *Runtime) For(noNewPrivs bool) []Need {
	var out []Need
	for _, n := range rt.Needs {
		if n.When != Privs || !noNewPrivs {
			out = append(out, n)
		}
	}
	return out
}

// Runtimes returns every runtime version of which the needs are known,
// by name and then in the order of the data files.
func Runtimes() ([]*Runtime, error) {
	ents, err := runtimeFiles.ReadDir("runtimes")
	if err != nil {
		return nil, err
	}
	var out []*Runtime
	for _, e := range ents {
		name := path.Join("runtimes", e.Name())
		data, err := runtimeFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		rt, err := parseRuntime(name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, nil
}

// parseRuntime reads a data file: "runtime", "version" and "commit"
// lines, then one "WHEN CALL REASON" line per call; # begins a comment.
func parseRuntime(name string, data []byte) (*Runtime, error) {
	rt := &Runtime{File: name}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		bad := func(msg string) error {
			return &profile.SyntaxError{File: name, Line: line, Col: 1, Msg: msg, Err: profile.ErrInvalid}
		}
		f := strings.Fields(text)
		if len(f) < 2 {
			return nil, bad("want WHEN CALL REASON")
		}
		switch f[0] {
		case "runtime":
			rt.Name = f[1]
			continue
		case "version":
			rt.Version = f[1]
			continue
		case "commit":
			rt.Commit = f[1]
			continue
		}
		when, ok := whenNames[f[0]]
		if !ok {
			return nil, bad(fmt.Sprintf("unknown WHEN %q (always, privs or go)", f[0]))
		}
		if _, ok := arch.X86_64.SyscallNumber(f[1]); !ok {
			return nil, bad(fmt.Sprintf("unknown system call %q", f[1]))
		}
		if len(f) < 3 {
			return nil, bad("no reason given")
		}
		rt.Needs = append(rt.Needs, Need{Name: f[1], When: when, Reason: strings.Join(f[2:], " ")})
	}
	if rt.Name == "" || rt.Version == "" {
		return nil, &profile.SyntaxError{File: name, Line: 1, Col: 1, Msg: "no runtime or version line", Err: profile.ErrInvalid}
	}
	return rt, sc.Err()
}

// LookupRuntime returns the needs of runtime name at version (and
// commit, when not ""), as "runc --version" prints them. When no data
// matches the version, it returns the newest data of that runtime
// (the last data file) and exact false; version "" asks for that.
func LookupRuntime(name, version, commit string) (rt *Runtime, exact bool, err error) {
	all, err := Runtimes()
	if err != nil {
		return nil, false, err
	}
	var last *Runtime
	for _, r := range all {
		if r.Name != name {
			continue
		}
		last = r
		if version != "" && r.Version == version && (commit == "" || r.Commit == commit) {
			return r, true, nil
		}
	}
	if last == nil {
		var names []string
		for _, r := range all {
			if !slices.Contains(names, r.Name) {
				names = append(names, r.Name)
			}
		}
		return nil, false, fmt.Errorf("%w: %q (known: %s, or none)", ErrNoRuntime, name, strings.Join(names, ", "))
	}
	return last, false, nil
}

// ParseVersion reads the version and commit from the output of
// "runc --version" (or crun's): its "NAME version V" and "commit: C"
// lines.
func ParseVersion(out []byte) (version, commit string) {
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[1] == "version" && version == "":
			version = f[2]
		case len(f) >= 2 && f[0] == "commit:":
			commit = f[1]
		}
	}
	return version, commit
}

// Added is a call AddNeeds allowed for the runtime, and why.
type Added struct {
	Name   string
	Reason string
}

// AddNeeds returns p with a first rule allowing what rt makes after loading
// the filter of a container (noNewPrivs: its process.noNewPrivileges)
// and p would not let run on native, and those calls. The rule's comment
// gives the runtime and each call's reason. p itself is not changed;
// when p lets everything rt needs run, it is returned as it is. The
// result is checked: it lets every need run (profile.Covers).
func AddNeeds(p *profile.Profile, rt *Runtime, noNewPrivs bool, native arch.Arch) (*profile.Profile, []Added, error) {
	needs := rt.For(noNewPrivs)
	want := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{native}}
	reason := map[string]string{}
	for _, n := range needs {
		want.Rules = append(want.Rules, profile.Rule{Names: []string{n.Name}, Action: profile.Action{Kind: profile.ActAllow}})
		reason[n.Name] = n.Reason
	}
	gaps, err := profile.Covers(p, want, native)
	if err != nil {
		return nil, nil, fmt.Errorf("what %s needs of the profile: %w", rt, err)
	}
	var added []Added
	for _, g := range gaps {
		if g.Arch == native && !slices.ContainsFunc(added, func(a Added) bool { return a.Name == g.Name }) {
			added = append(added, Added{Name: g.Name, Reason: reason[g.Name]})
		}
	}
	if len(added) == 0 {
		return p, nil, nil
	}
	slices.SortFunc(added, func(a, b Added) int { return strings.Compare(a.Name, b.Name) })
	q := p.Clone()
	r := profile.Rule{Action: profile.Action{Kind: profile.ActAllow}}
	var why []string
	for _, a := range added {
		r.Names = append(r.Names, a.Name)
		why = append(why, a.Name+": "+a.Reason)
	}
	when := "with noNewPrivileges"
	if !noNewPrivs {
		when = "without noNewPrivileges"
	}
	r.Comment = fmt.Sprintf("%s init between loading the filter and exec (%s): %s", rt, when, strings.Join(why, "; "))
	// First: the first rule that matches decides, and the profile may
	// have a rule of its own for the call (ENOSYS for faccessat2, which
	// sends the program to its fallback).
	q.Rules = append([]profile.Rule{r}, q.Rules...)
	if gaps, err := profile.Covers(q, want, native); err != nil || len(gaps) > 0 {
		if err == nil {
			err = fmt.Errorf("the profile's own rules still deny %v", gaps[0])
		}
		return nil, nil, fmt.Errorf("add what %s needs: %w", rt, err)
	}
	return q, added, nil
}

// HostRuntime returns the data of the runtime name (LookupRuntime) for
// the version of the one on PATH, asked with "NAME --version". note says,
// when not "", why the data is not that of the host's runtime: it is not
// installed, or there is no data for its version (the newest data is
// used).
func HostRuntime(ctx context.Context, name string) (rt *Runtime, note string, err error) {
	var version, commit string
	path, lookErr := exec.LookPath(name)
	if lookErr == nil {
		if out, err := exec.CommandContext(ctx, path, "--version").Output(); err == nil {
			version, commit = ParseVersion(out)
		}
	}
	rt, exact, err := LookupRuntime(name, version, commit)
	switch {
	case err != nil:
		return nil, "", err
	case lookErr != nil:
		note = fmt.Sprintf("%s is not installed here: adding what %s needs", name, rt)
	case !exact:
		note = fmt.Sprintf("no data for %s %s (%s): adding what %s needs", name, version, commit, rt)
	}
	return rt, note, nil
}
