package cli

import (
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
		missing := 0
		report := mergeReport{Profile: refs[0], Missing: []mergeGap{}}
		for i, p := range ps[1:] {
			gaps, err := profile.Covers(ps[0], p, host)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("%s: %w", refs[i+1], err))
			}
			for _, g := range gaps {
				if o.json {
					r := mergeGap{From: refs[i+1], Arch: g.Arch.String(), Name: g.Name, Nr: g.Nr, Action: g.Action.String()}
					if g.Cond {
						r.Args = g.Args[:]
					}
					report.Missing = append(report.Missing, r)
					continue
				}
				fmt.Fprintf(e.stdout, "%s allows %s in %s\n", refs[i+1], g, refs[0])
			}
			missing += len(gaps)
		}
		var unproven error
		if missing == 0 {
			for _, other := range refs[1:] {
				if c := envCaveat([]string{refs[0], other}, []string{refs[0], other}, o.profileFlags); c != "" {
					unproven = fmt.Errorf("cannot prove that %s allows all %s allows: %s", refs[0], other, c)
					break
				}
			}
		}
		if o.json {
			report.Covers = missing == 0 && unproven == nil
			if unproven != nil {
				report.Unproven = unproven.Error()
			}
			if err := writeJSON(e.stdout, report); err != nil {
				return withCode(ExitFailure, err)
			}
		}
		if missing > 0 {
			return withCode(ExitFinding, fmt.Errorf("%s does not allow %d system calls the others allow", refs[0], missing))
		}
		if unproven != nil {
			return withCode(ExitFinding, unproven)
		}
		return nil
	}
	m, err := profile.Merge(host, ps...)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	data, err := formatProfile(e, m, o.outFlags, o.out)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if err := writeOutput(e, o.out, data); err != nil {
		return withCode(ExitFailure, err)
	}
	return nil
}

// mergeReport is merge --check --json.
type mergeReport struct {
	Profile  string     `json:"profile"`
	Covers   bool       `json:"covers"`
	Unproven string     `json:"unproven,omitempty"`
	Missing  []mergeGap `json:"missing"`
}

// mergeGap is a call a profile lets run and the first does not.
type mergeGap struct {
	From   string   `json:"from"`
	Arch   string   `json:"arch"`
	Name   string   `json:"name"`
	Nr     uint32   `json:"nr"`
	Args   []uint64 `json:"args,omitempty"` // an example, when the arguments matter
	Action string   `json:"action"`         // what the first profile does instead
}
