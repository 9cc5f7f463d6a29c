package cli

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/atomicfile"
	"github.com/syscage/syscage/internal/termtext"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

// profileFlags are the flags shared by commands that read a profile.
type profileFlags struct {
	caps   []string
	kernel string
	strict bool
}

// readProfile reads the profile named by ref: a built-in when ref is a
// bare name (no '/' and no extension, such as docker-default), else a
// file in any format (from, or told from its content when from is "").
// A file is never read for a bare name, so a file in the working
// directory cannot stand in for a built-in: a bare name that is also a
// file there is an error naming both ways to pick, and a bare name that
// is only a file there is an error saying to write ./NAME.
//
// What the enforcing program would read but ignore with a warning (a
// systemd setting in a section systemd does not read it from) is said
// on Main's standard error, once per file.
func readProfile(ref string, from formats.Format) (*profile.Profile, formats.Format, error) {
	var p *profile.Profile
	var f formats.Format
	var warnings []string
	var err error
	if ref == "-" {
		p, f, warnings, err = readStdinProfile(from)
	} else {
		p, f, warnings, err = formats.OpenWarn(ref, from)
	}
	profileWarnings.say(ref, warnings)
	return p, f, err
}

// profileWarnings is where readProfile says the warnings of a profile:
// Main's standard error. A command may read a profile more than once;
// its warnings are said the first time.
var profileWarnings warnSink

type warnSink struct {
	sync.Mutex
	w    io.Writer
	said map[string]bool
}

func (s *warnSink) reset(w io.Writer) {
	s.Lock()
	defer s.Unlock()
	s.w, s.said = w, map[string]bool{}
}

func (s *warnSink) say(ref string, warnings []string) {
	s.Lock()
	defer s.Unlock()
	if s.w == nil || len(warnings) == 0 || s.said[ref] {
		return
	}
	s.said[ref] = true
	for _, w := range warnings {
		fmt.Fprintf(s.w, "syscage: warning: %s\n", termtext.Line(w))
	}
}

// loadProfile reads the profile named by ref, a file in any format or a
// built-in name, and resolves Docker's conditional rules for host. With
// --strict, a name unknown on an architecture the profile covers is an
// error, in every command as in compile.
func loadProfile(ref string, host arch.Arch, pf profileFlags) (*profile.Profile, error) {
	p, _, err := readProfile(ref, "")
	if err != nil {
		return nil, err
	}
	if p, err = resolveFor(p, host, pf); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return p, checkStrict(ref, p, host, pf)
}

// checkStrict implements --strict for a resolved profile, as
// seccomp.Compile checks it with Options.Strict.
func checkStrict(ref string, p *profile.Profile, host arch.Arch, pf profileFlags) error {
	if !pf.strict {
		return nil
	}
	if err := seccomp.CheckNames(p, host); err != nil {
		return fmt.Errorf("%s: --strict: %w", ref, err)
	}
	return nil
}

// resolveFor resolves p for host with the capabilities and kernel of pf
// (default: Docker's capabilities and this host's kernel).
func resolveFor(p *profile.Profile, host arch.Arch, pf profileFlags) (*profile.Profile, error) {
	env, err := pf.env(host)
	if err != nil {
		return nil, err
	}
	return p.Resolve(env)
}

// env is the environment Docker's conditional rules are resolved for
// (oci.Env): pf's capabilities, and its kernel or this host's. Bad
// values are usage errors.
func (pf profileFlags) env(host arch.Arch) (profile.Env, error) {
	for _, c := range pf.caps {
		if _, err := launch.ParseCap(c); err != nil {
			return profile.Env{}, usageError{fmt.Errorf("--cap: %v", err)}
		}
	}
	kernel := pf.kernel
	if kernel == "" {
		kernel = seccomp.KernelRelease()
	} else if _, err := profile.ParseKernelRelease(kernel); err != nil {
		return profile.Env{}, usageError{fmt.Errorf("--kernel %q: not a kernel release (want one such as 6.1 or 6.18.0-rc4)", kernel)}
	}
	return oci.Env(host, pf.caps, kernel), nil
}

// writeOutput writes data to path atomically (atomicfile.Write), or to
// stdout when path is "" or "-".
func writeOutput(e *env, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	return atomicfile.Write(path, data)
}

// checkOutput reports before any work that writeOutput could not write
// path (atomicfile.Check).
func checkOutput(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	return atomicfile.Check(path)
}
