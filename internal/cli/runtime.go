package cli

import (
	"fmt"
	"os/exec"

	"github.com/syscage/syscage/profile/ociconfig"
)

// lookupRuntime returns the data of the OCI runtime rt ("none": nil)
// for the version on PATH, saying on stderr when there is none for it
// and the newest data is used instead.
func lookupRuntime(e *env, rt string) (*ociconfig.Runtime, error) {
	if rt == "none" {
		return nil, nil
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
	return r, nil
}

// reportRuntime lists on stderr the calls added to the profile put into
// the config.json name for rt.
func reportRuntime(e *env, name string, rt *ociconfig.Runtime, added []ociconfig.Added) {
	if len(added) == 0 {
		return
	}
	fmt.Fprintf(e.stderr, "syscage: %s: added %d call(s) %s makes between loading the filter and exec (--runtime none leaves them out):\n", name, len(added), rt)
	for _, a := range added {
		fmt.Fprintf(e.stderr, "  %s: %s\n", a.Name, a.Reason)
	}
}
