package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/seccomp"
)

func init() { register(newFeaturesCmd) }

func newFeaturesCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "features [--json]",
		Short: "Show what this kernel's seccomp supports",
		Long: `Features probes the running kernel, in the spirit of 'runc features': the
seccomp mode of this process, the actions the kernel offers and logs, the
filter flags it accepts (probed without installing anything), the sizes of
the user-notification structures, whether the action cache exists, and the
host ABI with the compat ABIs it can run.`,
		Example: `  syscage features
  syscage features --json | jq .flags`,
		Args: cmdArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := seccomp.Probe()
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(f)
			}
			printFeatures(e, f)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printFeatures(e *env, f *seccomp.Features) {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	set := func(m map[string]bool) string {
		var on, off []string
		for k, v := range m {
			if v {
				on = append(on, k)
			} else {
				off = append(off, k)
			}
		}
		sort.Strings(on)
		sort.Strings(off)
		s := strings.Join(on, " ")
		if len(off) > 0 {
			s += " (not: " + strings.Join(off, " ") + ")"
		}
		return s
	}
	w := e.stdout
	fmt.Fprintf(w, "kernel:           %s (%s)\n", f.Kernel, f.Machine)
	fmt.Fprintf(w, "arch:             %s\n", f.Arch)
	fmt.Fprintf(w, "compat arches:    %s\n", strings.Join(f.Compat, " "))
	fmt.Fprintf(w, "seccomp mode:     %d (%d filters on this process)\n", f.Mode, f.Filters)
	fmt.Fprintf(w, "filter mode:      %s\n", yes(f.FilterSupported))
	fmt.Fprintf(w, "actions_avail:    %s\n", strings.Join(f.ActionsAvail, " "))
	fmt.Fprintf(w, "actions_logged:   %s\n", strings.Join(f.ActionsLogged, " "))
	fmt.Fprintf(w, "actions probed:   %s\n", set(f.Actions))
	fmt.Fprintf(w, "filter flags:     %s\n", set(f.Flags))
	if n := f.NotifSizes; n != nil {
		fmt.Fprintf(w, "notif sizes:      seccomp_notif=%d seccomp_notif_resp=%d seccomp_data=%d\n", n.Notif, n.NotifResp, n.Data)
	} else {
		fmt.Fprintf(w, "notif sizes:      unavailable\n")
	}
	fmt.Fprintf(w, "action cache:     %s (%s)\n", yes(f.ActionCache), f.ActionCacheSource)
}
