package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/profile"
)

type mergeOptions struct {
	out  string
	arch string
	outFlags
	check bool
	json  bool
	profileFlags
}

func newMergeCmd(e *env) *cobra.Command {
	var o mergeOptions
	c := &cobra.Command{
		Use:   "merge [-o OUT] [--check] PROFILE PROFILE...",
		Short: "Unite profiles, or check that one already allows what others allow",
		Long: `Merge writes the union of profiles: on every architecture they cover, a
system call (with its arguments) runs under the result exactly when one of
the profiles that cover the architecture lets it run (ALLOW or LOG), and
never otherwise. A call none of them lets run gets the strictest of their
actions for it (of two ERRNO actions, the first profile's); what no rule
names gets the strictest default, or the default that lets calls run.
Deny rules inside allow rules are kept. The result is checked exactly
against every input, with the semantics of runc and libseccomp; when no
profile can hold the union exactly (a profile does not cover an
architecture another covers, ...), nothing is written and syscage says why.

With --check nothing is written: syscage exits 1 and lists what is
missing unless the first profile already lets run everything the others
let run, on every architecture they cover. The arguments are compared
exactly (every class of values the conditions tell apart); a comparison
too large to decide is an error, never a pass.

Profiles are resolved for ARCH (Docker's includes, excludes, archMap) as
compile does.`,
		Example: `  syscage merge -o app.json test-run.json prod-run.json
  syscage merge --check app.json new-run.json   # exit 1: app.json lacks something`,
		Args: cmdArgs(cobra.MinimumNArgs(2)),
		RunE: func(c *cobra.Command, args []string) error {
			return runMerge(e, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.out, "output", "o", "", "write the profile to `FILE` instead of stdout")
	addOutFlags(c, &o.outFlags)
	f.StringVarP(&o.arch, "arch", "a", "", "native ABI the profiles are for (default: this binary's)")
	f.BoolVar(&o.check, "check", false, "exit 1 unless the first profile allows everything the others allow; list every call it lacks")
	f.BoolVar(&o.json, "json", false, "with --check, print JSON")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	return c
}

func runMerge(e *env, o mergeOptions, refs []string) error {
	if err := checkProfileFormat(o.format); err != nil {
		return err
	}
	host, err := parseArchFlag(o.arch)
	if err != nil {
		return err
	}
	ps := make([]*profile.Profile, len(refs))
	for i, ref := range refs {
		if ps[i], err = loadProfile(ref, host, o.profileFlags); err != nil {
			return withCode(ExitFailure, err)
		}
	}
	if o.json && !o.check {
		return usagef("--json goes with --check (merge writes the profile in --format)")
	}
	if o.check {
		c, err := profile.CoversAll(host, refs, ps...)
		if err != nil {
			return withCode(ExitFailure, err)
		}
		for i := 1; c.Covers && i < len(refs); i++ {
			if caveat := envCaveat([]string{refs[0], refs[i]}, []string{refs[0], refs[i]}, o.profileFlags); caveat != "" {
				c.Unproven, c.Covers = fmt.Sprintf("cannot prove that %s allows all %s allows: %s", refs[0], refs[i], caveat), false
			}
		}
		if o.json {
			if err := writeJSON(e.stdout, c); err != nil {
				return withCode(ExitFailure, err)
			}
		} else {
			fmt.Fprint(e.stdout, c.Text())
		}
		switch {
		case len(c.Missing) > 0:
			return withCode(ExitFinding, fmt.Errorf("%s does not allow %d system calls the others allow", refs[0], len(c.Missing)))
		case c.Unproven != "":
			return withCode(ExitFinding, errors.New(c.Unproven))
		}
		return nil
	}
	m, err := profile.Merge(host, ps...)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	data, err := formatProfile(e, m, host, o.outFlags, o.out)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	return writeOutput(e, o.out, data)
}
