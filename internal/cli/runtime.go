package cli

import (
	"fmt"
	"os/exec"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/ociconfig"
)

// patchForRuntime puts p into the config.json config (named name) for
// the OCI runtime rt ("none": as it is): what the runtime's init makes
// after loading the filter and p would deny is added, and said on
// stderr, with the runtime version whose data was used (that of the
// runtime on PATH when there is data for it).
func patchForRuntime(e *env, name string, config []byte, p *profile.Profile, rt string) ([]byte, error) {
	if rt == "none" {
		return ociconfig.Patch(name, config, p)
	}
	var version, commit string
	path, lookErr := exec.LookPath(rt)
	if lookErr == nil {
		if out, err := exec.Command(path, "--version").Output(); err == nil {
			version, commit = ociconfig.ParseVersion(out)
		}
	}
	r, exact, err := ociconfig.LookupRuntime(rt, version, commit)
	if err != nil {
		return nil, usagef("--runtime: %v", err)
	}
	switch {
	case lookErr != nil:
		fmt.Fprintf(e.stderr, "syscage: %s is not installed here: adding what %s needs\n", rt, r)
	case !exact:
		fmt.Fprintf(e.stderr, "syscage: no data for %s %s (%s): adding what %s needs\n", rt, version, commit, r)
	}
	host, _ := arch.Native()
	out, added, err := ociconfig.PatchFor(name, config, p, r, host)
	if err != nil {
		return nil, err
	}
	if len(added) > 0 {
		fmt.Fprintf(e.stderr, "syscage: %s: added %d call(s) %s makes between loading the filter and exec (--runtime none leaves them out):\n", name, len(added), r)
		for _, a := range added {
			fmt.Fprintf(e.stderr, "  %s: %s\n", a.Name, a.Reason)
		}
	}
	return out, nil
}
