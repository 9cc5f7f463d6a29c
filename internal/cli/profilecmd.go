package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/spo"
)

func newProfileCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "profile list | show NAME",
		Short: "List and print the built-in profiles",
		Long: `Profile lists the built-in profiles (docker-default, unconfined and strict, a
default-deny starter) and prints one, as shipped or in another format with
--format (resolved for this host where the format cannot hold Docker's
conditions; the conversion fails, listing what the format lacks, unless
--lossy). Every command that takes a PROFILE also takes a built-in name.`,
		Example: `  syscage profile list
  syscage profile show strict > app.json
  syscage profile show --format systemd --lossy strict`,
	}
	var listJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the built-in profiles",
		Args:  cmdArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, args []string) error {
			if listJSON {
				return writeJSON(e.stdout, builtin.List())
			}
			for _, b := range builtin.List() {
				fmt.Fprintf(e.stdout, "%-15s %s\n", b.Name, b.Description)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	c.AddCommand(list)
	var format string
	var lossy, showJSON bool
	show := &cobra.Command{
		Use:   "show [--format oci|lxc|systemd|spo] NAME",
		Short: "Print a built-in profile",
		Args:  cmdArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return builtin.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			if showJSON {
				if format != "" {
					return usagef("--json prints the shipped Docker JSON with its name and description; drop --format")
				}
				b, err := builtin.Lookup(args[0])
				if err != nil {
					return withCode(ExitFinding, fmt.Errorf("no built-in profile %q (want one of %s)", args[0], strings.Join(builtin.Names(), ", ")))
				}
				return writeJSON(e.stdout, b)
			}
			return runProfileShow(e, args[0], format, lossy)
		},
	}
	show.Flags().StringVar(&format, "format", "", "print in this format instead of the shipped JSON")
	show.Flags().BoolVar(&lossy, "lossy", false, "with --format, write the nearest form that is never more permissive")
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON: the name, the description and the profile")
	c.AddCommand(show)
	return c
}

func runProfileShow(e *env, name, format string, lossy bool) error {
	data, err := builtin.JSON(name)
	if err != nil {
		return withCode(ExitFinding, fmt.Errorf("no built-in profile %q (want one of %s)", name, strings.Join(builtin.Names(), ", ")))
	}
	if format == "" {
		_, err := e.stdout.Write(append(data, '\n'))
		return err
	}
	f, err := formats.ParseFormat(format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	p, _ := builtin.Get(name)
	var co formats.ConvertOptions
	co.Lossy, co.Meta = lossy, spo.Meta{Name: name}
	if formats.NeedsResolve(p, f, false) {
		host, err := parseArchFlag("")
		if err != nil {
			return err
		}
		if co.Env, err = (profileFlags{}).env(host); err != nil {
			return err
		}
	}
	c, err := formats.Convert(name, p, f, co)
	var le *profile.LossError
	if errors.As(err, &le) {
		reportUnwritten(e, name, c, lossy)
		return silentExit(ExitFinding)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "syscage: %v\n", err)
		return silentExit(ExitFinding)
	}
	reportLosses(e, name, string(f), c.Losses)
	_, err = e.stdout.Write(c.Data)
	return err
}
