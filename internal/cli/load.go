package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/syscage/syscage/arch"
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

// readProfile reads the profile named by ref, a file in any format
// (from, or told from its content when from is "") or a built-in name.
func readProfile(ref string, from formats.Format) (*profile.Profile, formats.Format, error) {
	data, err := os.ReadFile(ref)
	switch {
	case err == nil:
		return formats.Parse(ref, data, from)
	case errors.Is(err, os.ErrNotExist) && filepath.Base(ref) == ref:
		p, err := builtin.Get(ref)
		if err != nil {
			return nil, "", fmt.Errorf("%s: no such file, and not a built-in profile (built-ins: %v)", ref, builtin.Names())
		}
		return p, formats.OCI, nil
	default:
		return nil, "", err
	}
}

// loadProfile reads the profile named by ref, a file in any format or a
// built-in name, and resolves Docker's conditional rules for host.
func loadProfile(ref string, host arch.Arch, pf profileFlags) (*profile.Profile, error) {
	p, _, err := readProfile(ref, "")
	if err != nil {
		return nil, err
	}
	return resolveFor(p, host, pf)
}

// resolveFor resolves p for host with the capabilities and kernel of pf
// (default: Docker's capabilities and this host's kernel).
func resolveFor(p *profile.Profile, host arch.Arch, pf profileFlags) (*profile.Profile, error) {
	return p.Resolve(profileEnv(host, pf))
}

// profileEnv is the environment Docker's conditional rules are resolved
// for.
func profileEnv(host arch.Arch, pf profileFlags) profile.Env {
	env := profile.Env{Arch: host, Caps: pf.caps, Kernel: pf.kernel}
	if env.Kernel == "" {
		env.Kernel = hostKernel()
	}
	if env.Caps == nil {
		env.Caps = oci.DefaultCaps
	}
	return env
}

// writeOutput writes data to path atomically (a temporary file renamed
// into place), or to stdout when path is "" or "-".
func writeOutput(e *env, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// hostKernel returns the running kernel's release, or "" when unknown.
func hostKernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
