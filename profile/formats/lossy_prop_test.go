package formats_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/ociconfig"
	"github.com/syscage/syscage/profile/spo"
	"github.com/syscage/syscage/seccomp"
)

var lossyProp = proftest.NewProperty("lossy", "TestLossyNeverWider", "profiles", 600, 50,
	"conversions checked", "exact", "lossy", "calls", "refused by the writer", "skipped (libseccomp refuses them)")

// noStub leaves out the ENOSYS answer for numbers above an ABI's table,
// which depends on the numbers a profile names and is no part of its
// meaning (see seccomp.Expect).
var noStub = seccomp.Options{NoENOSYS: true}

// TestLossyNeverWider is the promise of every lossy conversion, checked
// through the compiled filters: random profiles (overlapping rules of
// different actions included) are written in every format with Lossy,
// read back, and compiled for every host the written profile can be used
// on (the profile's host, and for formats that cover each host's compat
// ABIs, every host whose coverage meets the profile's ABIs); on every ABI
// the written profile covers, on inputs seeded from the conditions'
// boundary values and random ones, it lets a call run only when the
// profile does, and a conversion reported without losses decides every
// call as the profile does. An OCI config.json (ociconfig) must be
// exact.
func TestLossyNeverWider(t *testing.T) {
	s := lossyProp.Run(t, checkLossy)
	if !t.Failed() && s.Of("conversions checked") < lossyProp.N() {
		t.Errorf("only %d conversions checked for %d profiles", s.Of("conversions checked"), lossyProp.N())
	}
}

// checkLossy checks the conversions of one random profile.
func checkLossy(c *proftest.Case) error {
	r := c.R
	p := proftest.Random(r, proftest.Config{AllowOverlap: r.IntN(2) == 0})
	if r.IntN(2) == 0 {
		addExecShaped(r, p)
	}
	host := proftest.Host(p)
	if _, err := seccomp.Compile(p, host, noStub); err != nil {
		c.Count("skipped (libseccomp refuses them)", 1)
		return nil
	}
	type written struct {
		name   string
		data   []byte
		losses []profile.Loss
		parse  func([]byte) (*profile.Profile, error)
	}
	var outs []written
	for _, f := range []formats.Format{formats.OCI, formats.LXC, formats.Systemd, formats.SPO} {
		data, losses, err := formats.Write(p, f, formats.Options{Lossy: true, Meta: spo.Meta{Name: "random"}})
		if err != nil {
			if !errors.Is(err, profile.ErrNotExpressible) {
				return fmt.Errorf("write %s: %v", f, err)
			}
			c.Count("refused by the writer", 1)
			continue
		}
		outs = append(outs, written{string(f), data, losses, func(b []byte) (*profile.Profile, error) {
			q, _, err := formats.Parse("written", b, f)
			return q, err
		}})
	}
	spec, err := ociconfig.ToSpec(p)
	if err != nil {
		return fmt.Errorf("ociconfig: %v", err)
	}
	cfg, err := json.Marshal(map[string]any{"ociVersion": "1.0.2", "linux": map[string]any{"seccomp": spec}})
	if err != nil {
		return err
	}
	outs = append(outs, written{"ociconfig", cfg, nil, func(b []byte) (*profile.Profile, error) { return oci.Parse("config.json", b) }})

	for _, w := range outs {
		q, err := w.parse(w.data)
		if err != nil {
			return fmt.Errorf("%s: read back what was written: %v\n%s", w.name, err, w.data)
		}
		c.Count("conversions checked", 1)
		if len(w.losses) == 0 {
			c.Count("exact", 1)
		} else {
			c.Count("lossy", 1)
		}
		for _, h := range hostsFor(p, host, q) {
			qh := q
			if q.Conditional() {
				if qh, err = q.Resolve(profile.Env{Arch: h}); err != nil {
					return fmt.Errorf("%s: resolve for %s: %v", w.name, h, err)
				}
			}
			fp, err := seccomp.Compile(p, h, noStub)
			if err != nil {
				continue // p is refused on this host (a name conflict on its native ABI)
			}
			fq, err := seccomp.Compile(qh, h, noStub)
			if err != nil {
				return fmt.Errorf("%s: compile what was written for %s: %v\n%s", w.name, h, err, w.data)
			}
			abis := proftest.Covered(qh, h)
			for _, a := range proftest.Covered(p, h) {
				if !slices.Contains(abis, a) {
					abis = append(abis, a)
				}
			}
			for _, a := range abis {
				rp, err1 := proftest.NewRunner(fp, a)
				rq, err2 := proftest.NewRunner(fq, a)
				if err := errors.Join(err1, err2); err != nil {
					return err
				}
				for _, d := range proftest.Probe(r, a, 20, p, qh) {
					vp, err1 := rp.Run(d)
					vq, err2 := rq.Run(d)
					if err := errors.Join(err1, err2); err != nil {
						return err
					}
					c.Count("calls", 1)
					wider := proftest.Permits(vq) && !proftest.Permits(vp)
					// Exactness is promised for the profile's own host; on
					// other hosts the written profile must not be wider.
					if wider || len(w.losses) == 0 && h == host && vp != vq {
						name, _ := a.SyscallName(uint32(d.Nr))
						what := "lets run what the profile does not"
						if !wider {
							what = "was reported exact but decides otherwise"
						}
						return fmt.Errorf("%s %s on a %s host: %s %s (nr %#x, arch %#x) args %#x: written %v, profile %v\nlosses: %v\nprofile: %+v\nwritten:\n%s",
							w.name, what, h, a, name, uint32(d.Nr), d.Arch, d.Args, seccomp.ActionOf(vq), seccomp.ActionOf(vp), w.losses, p, w.data)
					}
				}
			}
		}
	}
	return nil
}

// hostsFor returns the hosts a profile written from p (covering host and
// p.Arches) may be used on: host, and when q has an archMap (a format
// that covers each host's compat ABIs), every host of it whose coverage
// meets p's ABIs.
func hostsFor(p *profile.Profile, host arch.Arch, q *profile.Profile) []arch.Arch {
	out := []arch.Arch{host}
	covered := proftest.Covered(p, host)
	for _, e := range q.ArchMap {
		meets := slices.Contains(covered, e.Arch)
		for _, a := range e.Sub {
			meets = meets || slices.Contains(covered, a)
		}
		if meets && !slices.Contains(out, e.Arch) {
			out = append(out, e.Arch)
		}
	}
	return out
}

// addExecShaped adds rules of the shapes systemd's other settings can
// stand for (socket by family, clone and unshare by namespace flags,
// personality by value), so that the lossy systemd writer's
// RestrictAddressFamilies=, RestrictNamespaces= and LockPersonality=
// are checked too.
func addExecShaped(r *rand.Rand, p *profile.Profile) {
	ops := []profile.Op{profile.OpEQ, profile.OpLT, profile.OpGT, profile.OpNE, profile.OpLE, profile.OpGE}
	act := func() profile.Action {
		if r.IntN(4) == 0 {
			return profile.Action{Kind: profile.ActLog}
		}
		return profile.Action{Kind: profile.ActAllow}
	}
	var rules []profile.Rule
	for range 1 + r.IntN(3) {
		rules = append(rules, profile.Rule{Names: []string{"socket"}, Action: act(),
			Conds: []profile.Cond{{Arg: 0, Op: ops[r.IntN(len(ops))], Value: uint64(r.IntN(48))}}})
	}
	masks := []uint64{0x7e020000, 0x7e020080, 0x10000000, 0x40000000, 0x80}
	for _, n := range []string{"clone", "unshare"} {
		if r.IntN(2) == 0 {
			rules = append(rules, profile.Rule{Names: []string{n}, Action: act(),
				Conds: []profile.Cond{{Arg: 0, Op: profile.OpMaskedEQ, Value: masks[r.IntN(len(masks))], ValueTwo: 0}}})
		}
	}
	for _, v := range []uint64{0, 8, 0xffffffff} {
		if r.IntN(2) == 0 {
			rules = append(rules, profile.Rule{Names: []string{"personality"}, Action: act(),
				Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: v}}})
		}
	}
	if p.Default.Kind == profile.ActAllow || p.Default.Kind == profile.ActLog {
		p.Default = profile.Action{Kind: profile.ActErrno, Data: 1}
	}
	// Ahead of the random rules, so that they decide these calls.
	p.Rules = append(rules, p.Rules...)
}
