package cli

import (
	"context"
	"fmt"

	"github.com/syscage/syscage/profile/ociconfig"
)

// lookupRuntime returns the data of the OCI runtime rt ("none": nil)
// for the version on PATH (ociconfig.HostRuntime), saying on stderr when
// it is not that version's.
func lookupRuntime(e *env, rt string) (*ociconfig.Runtime, error) {
	if rt == "none" {
		return nil, nil
	}
	r, note, err := ociconfig.HostRuntime(context.Background(), rt)
	if err != nil {
		return nil, usagef("--runtime: %v", err)
	}
	if note != "" {
		fmt.Fprintf(e.stderr, "syscage: %s\n", note)
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
