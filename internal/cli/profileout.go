package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/lxc"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/spo"
	"github.com/syscage/syscage/profile/systemd"
)

// profileFormats are the formats commands that write profiles accept.
var profileFormats = []string{"oci", "lxc", "systemd", "spo"}

// outFlags are the flags of commands that write a profile.
type outFlags struct {
	format string
	lossy  bool
	name   string
}

func addOutFlags(c *cobra.Command, o *outFlags) {
	f := c.Flags()
	f.StringVar(&o.format, "format", "", "profile format: oci (Docker/OCI JSON, the default), lxc, systemd (unit settings) or spo (security-profiles-operator YAML); --into without -o keeps the file's")
	f.BoolVar(&o.lossy, "lossy", false, "write the nearest never more permissive form when the format cannot express the profile")
	f.StringVar(&o.name, "name", "", "metadata.name of an spo profile (default: from the output file name)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(profileFormats, cobra.ShellCompDirectiveNoFileComp))
}

// checkProfileFormat reports an unknown --format (exit 2).
func checkProfileFormat(format string) error {
	if format == "" {
		return nil // oci, or the --into file's
	}
	for _, f := range profileFormats {
		if f == format {
			return nil
		}
	}
	return usagef("unknown profile format %q (want one of %s)", format, strings.Join(profileFormats, ", "))
}

// formatProfile writes p in the format of o; out is the output file, for
// a default spo name. Losses of a lossy conversion are reported on
// stderr.
func formatProfile(e *env, p *profile.Profile, o outFlags, out string) ([]byte, error) {
	var data []byte
	var losses []profile.Loss
	var err error
	if o.format == "" {
		o.format = "oci"
	}
	switch o.format {
	case "oci":
		data, err = oci.Format(p)
	case "lxc":
		data, losses, err = lxc.Format(lxcCoverage(e, p), lxc.Options{Lossy: o.lossy})
	case "systemd":
		data, losses, err = systemd.Format(p, systemd.Options{Lossy: o.lossy})
	case "spo":
		name := o.name
		if name == "" {
			name = dnsName(out)
		}
		data, losses, err = spo.Format(p, spo.Options{Meta: spo.Meta{Name: name}, Lossy: o.lossy})
	default:
		return nil, fmt.Errorf("unknown profile format %q", o.format)
	}
	if err != nil {
		return nil, err
	}
	ref := out
	if ref == "" || ref == "-" {
		ref = "the profile"
	}
	reportLosses(e, ref, o.format, losses)
	return data, nil
}

// dnsName makes a Kubernetes object name from a file name.
func dnsName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var b strings.Builder
	for _, c := range strings.ToLower(base) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" || path == "" || path == "-" {
		return "syscage-profile"
	}
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	return s
}

// lxcCoverage widens the architectures of p to what an LXC policy covers
// on the host p is for (x86_64 with x86 and x32, ...), when p covers part
// of it: LXC applies a policy to all of them, so the names p allows are
// then allowed on the others too, which is said on stderr.
func lxcCoverage(e *env, p *profile.Profile) *profile.Profile {
	if len(p.Arches) == 0 {
		return p
	}
	for _, m := range lxc.ArchMap {
		if m.Arch != p.Arches[0] {
			continue
		}
		all := append([]arch.Arch{m.Arch}, m.Sub...)
		var extra []string
		for _, a := range p.Arches {
			if !slices.Contains(all, a) {
				return p
			}
		}
		for _, a := range all {
			if !slices.Contains(p.Arches, a) {
				extra = append(extra, a.String())
			}
		}
		if len(extra) == 0 {
			return p
		}
		q := p.Clone()
		q.Arches = all
		fmt.Fprintf(e.stderr, "syscage: warning: an LXC policy covers %s too: the profile's names are allowed there as well\n", strings.Join(extra, " and "))
		return q
	}
	return p
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
	if filepath.Base(*into) == *into {
		if _, err := builtin.Get(*into); err == nil {
			return nil // a built-in name: checkInto refuses to change it
		}
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
	refuse := func(why string) error {
		return usagef("--into %s without -o: %s; write the result elsewhere with -o OUT", ref, why)
	}
	data, err := os.ReadFile(ref)
	if errors.Is(err, os.ErrNotExist) && filepath.Base(ref) == ref {
		if _, berr := builtin.Get(ref); berr == nil {
			return refuse("a built-in profile cannot be changed")
		}
	}
	if err != nil {
		return err // loading it reports this
	}
	f := formats.Detect(data)
	p, _, err := formats.Parse(ref, data, f)
	if err != nil {
		return err
	}
	switch {
	case f == formats.OCI && bytes.Contains(data, []byte(`"ociVersion"`)):
		return refuse("an OCI runtime config holds more than the profile, and would be replaced by the profile alone (convert --oci-config patches one)")
	case f == formats.Systemd:
		return refuse("a systemd unit or drop-in holds other settings, and would be rewritten as its seccomp settings alone")
	case f == formats.SPO:
		return refuse("a SeccompProfile's object metadata would be rewritten")
	case f == formats.LXC:
		return refuse("an LXC policy's per-host sections would be resolved for this host")
	case p.Conditional():
		return refuse("the profile's includes, excludes or archMap would be resolved for this host")
	case o.format != "" && o.format != string(f):
		return refuse(fmt.Sprintf("the %s file would be rewritten as %s", f, o.format))
	}
	return nil
}
