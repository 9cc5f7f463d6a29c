package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/lxc"
	"github.com/syscage/syscage/profile/spo"
)

// outFlags are the flags of commands that write a profile.
type outFlags struct {
	format string
	lossy  bool
	name   string
	widen  bool
}

func addOutFlags(c *cobra.Command, o *outFlags) {
	f := c.Flags()
	f.StringVar(&o.format, "format", "", "profile format: oci (Docker/OCI JSON, the default), lxc, systemd (unit settings) or spo (security-profiles-operator YAML); --into without -o keeps the file's")
	f.BoolVar(&o.lossy, "lossy", false, "write the nearest never more permissive form when the format cannot express the profile")
	f.StringVar(&o.name, "name", "", "metadata.name of an spo profile (default: from the output file name)")
	addWidenFlag(f, &o.widen)
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats.Names(), cobra.ShellCompDirectiveNoFileComp))
}

// checkProfileFormat reports an unknown --format (exit 2).
func checkProfileFormat(format string) error {
	if _, err := formats.ParseFormat(format); format != "" && err != nil {
		return usagef("unknown profile format %q (want one of %s)", format, strings.Join(formats.Names(), ", "))
	}
	return nil // oci, or the --into file's
}

// formatProfile writes p, a profile for host, in the format of o; out is
// the output file, for a default spo name. Losses of a lossy conversion
// are reported on stderr.
func formatProfile(e *env, p *profile.Profile, host arch.Arch, o outFlags, out string) ([]byte, error) {
	f := formats.Format(o.format)
	if f == "" {
		f = formats.OCI
	}
	if f == formats.LXC {
		sayWidened(e, p, host, o.widen)
	}
	name := o.name
	if name == "" {
		name = spo.NameFromFile(out)
	}
	data, losses, err := formats.Write(p, f, formats.Options{Lossy: o.lossy, Meta: spo.Meta{Name: name}, WidenABIs: o.widen, Host: host})
	if err != nil {
		if f == formats.LXC {
			sayWiden(e, p, host, o.widen)
		}
		return nil, err
	}
	ref := out
	if ref == "" || ref == "-" {
		ref = "the profile"
	}
	reportLosses(e, ref, string(f), losses)
	return data, nil
}

// newInto turns an --into file that does not exist yet into the output
// (unless -o names another): there is nothing to add to, so the command
// writes a new profile there, as it would without --into.
func newInto(e *env, into, out *string) error {
	if *into == "" {
		return nil
	}
	if *into == "-" && (*out == "" || *out == "-") {
		return usagef("--into -: the profile read from stdin cannot be written back there; write the result with -o OUT")
	}
	if _, err := os.Lstat(*into); !errors.Is(err, os.ErrNotExist) || *into == "-" {
		return nil
	}
	if formats.IsBuiltin(*into) {
		return nil // checkInto refuses to change a built-in
	}
	if *out == "" {
		*out = *into
	}
	fmt.Fprintf(e.stderr, "syscage: %s does not exist yet: writing a new profile\n", *into)
	*into = ""
	return nil
}

// checkInto makes sure that adding to the --into profile ref in place
// (no -o) keeps what the file holds, and otherwise refuses (exit 2) before
// any work is done. Only a plain Docker/OCI seccomp JSON file is rewritten
// in place: a built-in cannot be; includes, excludes and archMap (and an
// LXC policy's per-host sections) would be resolved away for this host; a
// runtime config.json, a systemd unit and a SeccompProfile hold more than
// the profile; and another --format would change the file's format.
func checkInto(ref string, o *outFlags, out string) error {
	if ref == "" || out != "" {
		return nil
	}
	why, err := formats.RewritableRef(ref, formats.Format(o.format))
	if err != nil || why == "" {
		return err
	}
	return usagef("--into %s without -o: %s; write the result elsewhere with -o OUT", ref, why)
}

// addWidenFlag adds --widen-abis, the one rule of every command that
// writes an LXC policy.
func addWidenFlag(f *pflag.FlagSet, widen *bool) {
	f.BoolVar(widen, "widen-abis", false, "write an LXC policy for a profile that covers fewer ABIs than LXC applies it to (x86_64 without x86 and x32, ...): its rules then hold on those ABIs too, which lets their calls run (without it, nothing is written)")
}

// sayWidened says, when widen is set, on which ABIs an LXC policy of p
// lets p's calls run that p itself does not cover.
func sayWidened(e *env, p *profile.Profile, host arch.Arch, widen bool) {
	if _, extra := lxc.Widen(p, host); widen && len(extra) > 0 {
		fmt.Fprintf(e.stderr, "syscage: warning: --widen-abis: the LXC policy covers %s too: the calls the profile allows run there as well\n", arch.Join(extra, " and "))
	}
}

// sayWiden says, when an LXC policy of p could not be written, whether
// --widen-abis would write it.
func sayWiden(e *env, p *profile.Profile, host arch.Arch, widen bool) {
	if _, extra := lxc.Widen(p, host); !widen && len(extra) > 0 {
		fmt.Fprintf(e.stderr, "syscage: --widen-abis writes it with the profile's rules on %s as well (calls of those ABIs the profile kills would then run)\n", arch.Join(extra, " and "))
	}
}
