package harden_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/seccomp"
)

// TestHardenRandom checks the two promises of Profile on random profiles,
// through the model (seccomp.Expect, which states libseccomp's semantics)
// and through the compiled filter run in the VM:
//
//   - every verdict of the hardened profile depends only on the bits of
//     each argument the kernel uses: flipping the bits above them never
//     changes it;
//   - on calls whose truncated arguments are plain zero-extended values,
//     the hardened profile decides as the original does (for system calls
//     the multiplexer, twin and terminal rewrites leave alone, and
//     conditions whose data are such values too).
func TestHardenRandom(t *testing.T) {
	s := hardenProp.Run(t, checkHarden)
	if n := hardenProp.N(); !t.Failed() && s.Of("hardened") < n/2 {
		t.Errorf("only %d of %d random profiles hardened (%s)", s.Of("hardened"), n, s)
	}
}

var hardenProp = proftest.NewProperty("harden", "TestHardenRandom", "profiles", 40, 8,
	"hardened", "refused", "skipped (libseccomp refuses them)")

// checkHarden hardens one random profile and checks its promises on the
// inputs of every ABI it covers.
func checkHarden(c *proftest.Case) error {
	r := c.R
	p := proftest.Random(r, proftest.Config{})
	host := proftest.Host(p)
	if _, err := seccomp.Compile(p, host, seccomp.Options{}); err != nil {
		c.Count("skipped (libseccomp refuses them)", 1)
		return nil
	}
	h, _, err := harden.Profile(p, host)
	if err != nil {
		if errors.Is(err, harden.ErrOverlap) || errors.Is(err, harden.ErrWidth) || errors.Is(err, profile.ErrInvalid) {
			c.Count("refused", 1)
			return nil
		}
		return err
	}
	f, err := seccomp.Compile(h, host, seccomp.Options{})
	if errors.Is(err, seccomp.ErrTooLarge) {
		// Many range comparisons of 32-bit arguments become many
		// cubes: the profile is refused, never loaded half-done.
		c.Count("refused", 1)
		return nil
	}
	if err != nil {
		return fmt.Errorf("compile hardened: %w", err)
	}
	c.Count("hardened", 1)
	for _, a := range append([]arch.Arch{host}, p.Arches...) {
		for _, d := range proftest.Inputs(p, a) {
			if err := checkInput(p, h, f, host, a, d, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkInput(p, h *profile.Profile, f *seccomp.Filter, host, a arch.Arch, d seccomp.Data, r *rand.Rand) error {
	name, ok := a.SyscallName(uint32(d.Nr))
	if !ok || uint32(d.Nr)&arch.X32SyscallBit != 0 && a != arch.X32 {
		return nil
	}
	want, err := seccomp.Expect(h, host, seccomp.Options{}, d)
	if err != nil {
		return fmt.Errorf("expect: %w", err)
	}
	ret, _, err := f.Eval(a, d)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if got := seccomp.ActionOf(ret); got != want {
		return fmt.Errorf("%s %s%x: filter %s, model %s", a, name, d.Args, got, want)
	}
	canonical := true
	for i := range 6 {
		// The bits this ABI's kernel uses.
		w, ok := a.ArgBits(name, i)
		if !ok || w >= 64 {
			continue
		}
		if d.Args[i]>>w != 0 {
			canonical = false
		}
		e := d
		e.Args[i] ^= r.Uint64() &^ (1<<w - 1)
		got, err := seccomp.Expect(h, host, seccomp.Options{}, e)
		if err != nil {
			return fmt.Errorf("expect: %w", err)
		}
		ret, _, _ := f.Eval(a, e)
		if got != want || seccomp.ActionOf(ret) != want {
			return fmt.Errorf("%s %s: args %x give %s, args %x (high bits of the %d-bit argument %d changed) give %s (filter %s)",
				a, name, d.Args, want, e.Args, w, i, got, seccomp.ActionOf(ret))
		}
	}
	if !canonical || !plain(p, host, name) {
		return nil
	}
	orig, err := seccomp.Expect(p, host, seccomp.Options{}, d)
	if err != nil {
		return fmt.Errorf("expect original: %w", err)
	}
	arches := append([]arch.Arch{host}, p.Arches...)
	if seccomp.StubENOSYS(p, arches, d.Arch, uint32(d.Nr)) != seccomp.StubENOSYS(h, arches, d.Arch, uint32(d.Nr)) {
		// The names hardening adds can raise runc's ENOSYS ceiling (the
		// largest number the profile names): a call between the two
		// ceilings then gets the default, never something laxer.
		if want.Kind == profile.ActAllow || want.Kind == profile.ActLog {
			return fmt.Errorf("%s %s%x: hardened %s, original %s", a, name, d.Args, want, orig)
		}
		return nil
	}
	if orig != want {
		return fmt.Errorf("%s %s%x: hardened %s, original %s", a, name, d.Args, want, orig)
	}
	return nil
}

// plain reports whether name is left to the int rewrite alone, with
// conditions whose data are zero-extended values of its truncated
// arguments.
func plain(p *profile.Profile, host arch.Arch, name string) bool {
	if name == "ioctl" || name == "socketcall" || name == "ipc" || len(harden.TwinsOf(name)) > 0 {
		return false
	}
	for _, a := range append([]arch.Arch{host}, p.Arches...) {
		if _, ok := a.Multiplexed(name); ok {
			return false
		}
	}
	for _, rule := range p.Rules {
		if !slices.Contains(rule.Names, name) {
			continue
		}
		for _, c := range rule.Conds {
			w := harden.Width(host, p.Arches, name, c.Arg)
			if w < 64 && (c.Value>>w != 0 || c.Op == profile.OpMaskedEQ && c.ValueTwo>>w != 0) {
				return false
			}
		}
	}
	return true
}

// TestOutsideContainer: docker-default allows ptrace and
// process_vm_writev unconditionally; outside a container they are denied
// on every ABI, whatever rule named them, and nothing else changes.
func TestOutsideContainer(t *testing.T) {
	for _, def := range []profile.Action{{Kind: profile.ActErrno, Data: profile.EPERM}, {Kind: profile.ActAllow}} {
		p := &profile.Profile{Default: def, Rules: []profile.Rule{
			{Names: []string{"read", "ptrace", "process_vm_writev"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"kcmp"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 1}}},
		}}
		q, changes, err := harden.OutsideContainer(p)
		if err != nil || len(changes) != 1 {
			t.Fatalf("OutsideContainer: %v, %v", changes, err)
		}
		for _, name := range append([]string{"read"}, harden.CrossProcess...) {
			nr, _ := arch.X86_64.SyscallNumber(name)
			got, err := profile.Evaluate(q, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: [6]uint64{1}})
			if err != nil {
				t.Fatal(err)
			}
			if want := name == "read"; got.Permits() != want {
				t.Errorf("default %v: %s -> %v", def, name, got)
			}
		}
	}
}
