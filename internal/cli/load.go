package cli

import (
	"errors"
	"fmt"
	"io"

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

// profiles opens the profiles commands name: a built-in, a file, or "-"
// for Main's standard input (formats.Source); what the enforcing program
// would read but ignore with a warning (a systemd setting in a section
// systemd does not read it from) is said on Main's standard error, once
// per file.
var profiles = &formats.Source{}

// setProfiles makes Main's streams those of profiles.
func setProfiles(stdin io.Reader, stderr io.Writer) {
	profiles = &formats.Source{Stdin: stdin, Warn: func(w string) {
		fmt.Fprintf(stderr, "syscage: warning: %s\n", termtext.Line(w))
	}}
}

// loadProfile reads the profile named by ref, a file in any format or a
// built-in name, and resolves Docker's conditional rules for host. With
// --strict, a name unknown on an architecture the profile covers is an
// error, in every command as in compile.
func loadProfile(ref string, host arch.Arch, pf profileFlags) (*profile.Profile, error) {
	p, _, err := profiles.Open(ref, "")
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
