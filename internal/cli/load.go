package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/atomicfile"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/oci"
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
func readProfile(ref string, from formats.Format) (*profile.Profile, formats.Format, error) {
	if ref == "-" {
		return readStdinProfile(from)
	}
	if isBareName(ref) {
		_, serr := os.Stat(ref)
		file := serr == nil || !errors.Is(serr, os.ErrNotExist)
		if _, err := builtin.Get(ref); err != nil {
			if file {
				return nil, "", fmt.Errorf("%s: not a built-in profile (%s); for the file in the working directory write ./%s", ref, strings.Join(builtin.Names(), ", "), ref)
			}
			return nil, "", fmt.Errorf("%s: not a built-in profile (%s); a file needs a path, such as ./%s", ref, strings.Join(builtin.Names(), ", "), ref)
		}
		if file {
			return nil, "", fmt.Errorf("%s: both a built-in profile and a file in the working directory; write ./%s for the file, or rename the file to use the built-in", ref, ref)
		}
		p, err := builtin.Get(ref)
		return p, formats.OCI, err
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, "", err
	}
	return formats.Parse(ref, data, from)
}

// isBuiltinName reports whether ref is the bare name of a built-in
// profile. A directory of dumped filters with such a name is not read
// either: readProfile says how to pick.
func isBuiltinName(ref string) bool {
	return isBareName(ref) && slices.Contains(builtin.Names(), ref)
}

// isBareName reports whether ref names a built-in profile rather than a
// file: no path separator and no extension.
func isBareName(ref string) bool {
	return ref != "" && !strings.ContainsRune(ref, '/') && filepath.Ext(ref) == ""
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

// checkStrict implements --strict for a resolved profile: every name must
// exist on host and on each architecture the profile lists, as
// seccomp.Compile checks it with Options.Strict.
func checkStrict(ref string, p *profile.Profile, host arch.Arch, pf profileFlags) error {
	if !pf.strict {
		return nil
	}
	seen := map[arch.Arch]bool{}
	for _, a := range append([]arch.Arch{host}, p.Arches...) {
		if seen[a] {
			continue
		}
		seen[a] = true
		if _, err := p.Table(a, profile.TableOptions{Strict: true}); err != nil {
			return fmt.Errorf("%s: --strict: %w", ref, err)
		}
	}
	return nil
}

// resolveFor resolves p for host with the capabilities and kernel of pf
// (default: Docker's capabilities and this host's kernel).
func resolveFor(p *profile.Profile, host arch.Arch, pf profileFlags) (*profile.Profile, error) {
	for _, c := range pf.caps {
		if _, err := launch.ParseCap(c); err != nil {
			return nil, usageError{fmt.Errorf("--cap: %v", err)}
		}
	}
	if pf.kernel != "" {
		if _, err := profile.ParseKernelRelease(pf.kernel); err != nil {
			return nil, usageError{fmt.Errorf("--kernel %q: not a kernel release (want one such as 6.1 or 6.18.0-rc4)", pf.kernel)}
		}
	}
	return p.Resolve(profileEnv(host, pf))
}

// profileEnv is the environment Docker's conditional rules are resolved
// for. Capabilities are spelled as Docker's includes and excludes spell
// them (CAP_SYS_ADMIN) whatever the case and prefix of --cap, so that
// "--cap sys_admin" matches the profile's rules instead of none.
func profileEnv(host arch.Arch, pf profileFlags) profile.Env {
	var caps []string
	if pf.caps != nil {
		caps = make([]string, 0, len(pf.caps))
		for _, c := range pf.caps {
			c = strings.ToUpper(strings.TrimSpace(c))
			if !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			caps = append(caps, c)
		}
	}
	env := profile.Env{Arch: host, Caps: caps, Kernel: pf.kernel}
	if env.Kernel == "" {
		env.Kernel = hostKernel()
	}
	if env.Caps == nil {
		env.Caps = oci.DefaultCaps
	}
	return env
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

// hostKernel returns the running kernel's release, or "" when unknown.
func hostKernel() string {
	rel, _, err := unix.Uname()
	if err != nil {
		return ""
	}
	return rel
}
