package cli

import (
	"github.com/spf13/cobra"
	"github.com/syscage/syscage/profile/builtin"
)

// profileArgs names, per command path, the positions of its arguments
// that are a PROFILE (-1: every position); profileFlagNames the flags
// that take one.
var (
	profileArgs = map[string][]int{
		"syscage check":   {0},
		"syscage compile": {0},
		"syscage convert": {0},
		"syscage diff":    {0, 1},
		"syscage emu":     {0},
		"syscage explain": {0},
		"syscage lint":    {0},
		"syscage merge":   {-1},
		"syscage verify":  {0, 1},
	}
	profileFlagNames = []string{"profile", "into"}
)

// completeProfiles makes the shell complete the built-in profile names,
// beside file names, wherever a command takes a PROFILE.
func completeProfiles(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if pos, ok := profileArgs[c.CommandPath()]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				for _, p := range pos {
					if p == -1 || p == len(args) {
						return builtin.Names(), cobra.ShellCompDirectiveDefault // and files
					}
				}
				return nil, cobra.ShellCompDirectiveDefault
			}
		}
		for _, name := range profileFlagNames {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
					return builtin.Names(), cobra.ShellCompDirectiveDefault
				})
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
