package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/seccomp"
)

func newFeaturesCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "features [--json]",
		Short: "Show what this kernel's seccomp supports",
		Long: `Features probes the running kernel, in the spirit of 'runc features': the
seccomp mode of this process, the actions the kernel offers and logs, the
filter flags it accepts, the sizes of the user-notification structures,
whether the seccomp action cache exists, and the host ABI with the compat
ABIs this kernel runs. Each answer that is inferred rather than asked of
the kernel says how it was reached. Probing never installs a filter.`,
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
				if err := enc.Encode(f); err != nil {
					return withCode(ExitFailure, err)
				}
				return nil
			}
			printFeatures(e.stdout, f)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// printFeatures prints f as aligned "key: value" lines in a fixed order.
func printFeatures(w io.Writer, f *seccomp.Features) {
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	list := func(s []string) string {
		if s == nil {
			return "unknown"
		}
		return strings.Join(s, " ")
	}

	add("kernel", f.Kernel)
	add("machine", f.Machine)
	arch := f.Arch
	if arch == "" {
		arch = "unknown"
	}
	add("arch", arch)
	for _, c := range f.Compat {
		add("compat "+c.Arch, c.Detection.String())
	}
	add("seccomp", yes(f.Seccomp))
	add("filter mode", yes(f.FilterSupported))
	filters := "unknown"
	if f.Filters >= 0 {
		filters = strconv.Itoa(f.Filters)
	}
	add("this process", fmt.Sprintf("mode %d (%s), %s filters, no_new_privs %s", f.Mode, modeName(f.Mode), filters, yes(f.NoNewPrivs)))
	add("actions_avail", list(f.ActionsAvail))
	add("actions_logged", list(f.ActionsLogged))
	add("actions", supportText(f.Actions))
	add("filter flags", supportText(f.Flags))
	if n := f.NotifSizes; n != nil {
		add("notif sizes", fmt.Sprintf("seccomp_notif=%d seccomp_notif_resp=%d seccomp_data=%d", n.Notif, n.NotifResp, n.Data))
	} else {
		add("notif sizes", "unavailable")
	}
	add("action cache", f.ActionCache.String())
	for _, n := range f.Notes {
		add("note", n)
	}

	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s %s\n", width+1, r[0]+":", r[1])
	}
}

func modeName(m int) string {
	switch m {
	case seccomp.SECCOMP_MODE_DISABLED:
		return "disabled"
	case seccomp.SECCOMP_MODE_STRICT:
		return "strict"
	case seccomp.SECCOMP_MODE_FILTER:
		return "filter"
	}
	return "unknown"
}

// supportText lists the supported names in their order, then the others.
func supportText(s seccomp.Support) string {
	if len(s) == 0 {
		return "unknown"
	}
	var on, off []string
	for _, x := range s {
		if x.Supported {
			on = append(on, x.Name)
		} else {
			off = append(off, x.Name)
		}
	}
	out := strings.Join(on, " ")
	if len(off) > 0 {
		if out != "" {
			out += " "
		}
		out += "(not: " + strings.Join(off, " ") + ")"
	}
	return out
}
