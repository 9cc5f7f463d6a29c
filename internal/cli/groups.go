package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/profile/systemd"
)

func newGroupsCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "groups [--json] [@SET...]",
		Short: "List systemd's system-call groups (@system-service, @privileged, ...)",
		Long: `Groups prints systemd 252's system-call groups as 'systemd-analyze
syscall-filter' does: each group with its description and members, nested
groups as @name. Without arguments it prints every group and the calls
systemd knows but groups nowhere. --json adds each group's full expansion.
An unknown group exits 1.`,
		Example: `  syscage groups @system-service
  syscage groups --json @privileged @mount`,
		RunE: func(c *cobra.Command, args []string) error {
			return runGroups(e, args, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON with each group's expansion")
	c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return systemd.GroupNames(), cobra.ShellCompDirectiveNoFileComp
	}
	return c
}

func runGroups(e *env, names []string, asJSON bool) error {
	groups, unknown := systemd.LookupGroups(names...)
	for _, err := range unknown {
		fmt.Fprintf(e.stderr, "syscage: %v\n", err)
	}
	if asJSON {
		if err := writeJSON(e.stdout, groups); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		fmt.Fprint(e.stdout, systemd.GroupsText(groups, len(names) == 0))
	}
	if len(unknown) > 0 {
		return silentExit(ExitFinding)
	}
	return nil
}
