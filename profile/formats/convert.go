package formats

import (
	"errors"
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/profile/ociconfig"
)

// ConvertOptions control Convert.
type ConvertOptions struct {
	Options
	// Env is the host that Docker's includes, excludes and archMap are
	// resolved for when the target cannot hold them (NeedsResolve), and
	// always with Harden or WX, which work on a resolved profile.
	Env profile.Env
	// Harden closes the holes runc and libseccomp leave open
	// (harden.Profile); WX denies memory that is writable and executable
	// at once (harden.WX). Both for Env.Arch, in that order.
	Harden, WX bool
	// OCIConfig, when not nil, is an OCI runtime config.json (named
	// OCIConfigName in errors) that the profile is put into
	// (ociconfig.Patch) instead of being written alone. The format must
	// be OCI.
	OCIConfig     []byte
	OCIConfigName string
	// Runtime, with OCIConfig, is the OCI runtime that runs the config:
	// what its init makes after loading the filter and the profile would
	// deny is added (ociconfig.PatchFor, on Env.Arch or this machine's).
	Runtime *ociconfig.Runtime
}

// Conversion is what Convert did.
type Conversion struct {
	Format Format
	// Data is the profile in Format, or the patched config.json; nil
	// when nothing could be written.
	Data []byte
	// Profile is the profile as written: resolved and hardened as the
	// options asked.
	Profile *profile.Profile
	// Hardened lists what Harden and WX changed, in order.
	Hardened []harden.Change
	// RuntimeAdded lists the calls added for ConvertOptions.Runtime.
	RuntimeAdded []ociconfig.Added
	// Losses are what Format cannot express: with Lossy, what was
	// written instead; without, why nothing was.
	Losses []profile.Loss
	// LossyWrites says, when nothing was written for the losses and
	// Lossy was not set, whether Lossy would write the nearest form that
	// is never more permissive: for some losses (ABIs an LXC policy
	// covers beyond the profile's) there is none.
	LossyWrites bool
}

// Convert writes p (named name in errors) in format to, as 'syscage
// convert' does: resolved for o.Env where the format or the options need
// it, hardened as o asks, then written with Write, or patched into
// o.OCIConfig.
//
// The Conversion is never nil: after an error it holds what was done
// (Hardened). When to cannot express p and o.Lossy is not set, the error
// is a *profile.LossError and the Conversion has the losses and
// LossyWrites. Other errors name name, except those of the config.json,
// which name o.OCIConfigName.
func Convert(name string, p *profile.Profile, to Format, o ConvertOptions) (*Conversion, error) {
	c := &Conversion{Format: to, Profile: p}
	config := o.OCIConfig != nil
	if config && to != OCI {
		return c, fmt.Errorf("%s: an OCI runtime config holds an OCI profile, not %s", name, to)
	}
	var err error
	if o.Harden || o.WX || NeedsResolve(p, to, config) {
		if p, err = p.Resolve(o.Env); err != nil {
			return c, fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, step := range []struct {
		on bool
		do func(*profile.Profile, arch.Arch) (*profile.Profile, []harden.Change, error)
	}{{o.Harden, harden.Profile}, {o.WX, harden.WX}} {
		if !step.on {
			continue
		}
		var changes []harden.Change
		if p, changes, err = step.do(p, o.Env.Arch); err != nil {
			return c, fmt.Errorf("%s: %w", name, err)
		}
		c.Hardened = append(c.Hardened, changes...)
	}
	c.Profile = p
	if config && o.Runtime != nil {
		native := o.Env.Arch
		if native == arch.Invalid {
			native, _ = arch.Native()
		}
		c.Data, c.RuntimeAdded, err = ociconfig.PatchFor(o.OCIConfigName, o.OCIConfig, p, o.Runtime, native)
		return c, err
	}
	if config {
		c.Data, err = ociconfig.Patch(o.OCIConfigName, o.OCIConfig, p)
		return c, err
	}
	c.Data, c.Losses, err = Write(p, to, o.Options)
	var le *profile.LossError
	if errors.As(err, &le) {
		c.Data, c.Losses = nil, le.Losses
		if !o.Lossy {
			lossy := o.Options
			lossy.Lossy = true
			_, _, lerr := Write(p, to, lossy)
			c.LossyWrites = lerr == nil
		}
		return c, err
	}
	if err != nil {
		return c, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Report is a conversion as JSON ('syscage convert --json'): the file
// written ("" when nothing was), the format and every loss.
type Report struct {
	Written string         `json:"written"`
	Format  Format         `json:"format"`
	Losses  []profile.Loss `json:"losses"`
}

// Report returns c as JSON, written to the file written ("" when
// nothing was).
func (c *Conversion) Report(written string) Report {
	r := Report{Written: written, Format: c.Format, Losses: c.Losses}
	if r.Losses == nil {
		r.Losses = []profile.Loss{}
	}
	return r
}
