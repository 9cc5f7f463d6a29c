package cli

import (
	"fmt"

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
				return writeJSON(e.stdout, f)
			}
			fmt.Fprint(e.stdout, f.Text())
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
