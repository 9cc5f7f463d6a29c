package inspect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
)

// hardenFix is the advice every finding of the checks below shares.
const hardenFix = "or let 'syscage compile --harden' (convert --harden) rewrite the profile"

// lintIntArgs finds rules whose conditions on an argument the kernel
// truncates (an int, unsigned int, pid_t, umode_t, ...) look at the bits
// it ignores: a caller sets them to slip past the rule, and the system
// call sees the value the rule meant to catch (socket(0x100000028, ...) is
// socket(AF_VSOCK, ...)).
func lintIntArgs(p *profile.Profile, host arch.Arch, o LintOptions) []Finding {
	allow := profile.Action.Permits
	var out []Finding
	for i, r := range p.Rules {
		if r.Action == p.Default || len(r.Conds) == 0 {
			continue
		}
		var bad []string
		var fixes []string
		sev := Medium
		for _, n := range r.Names {
			for _, c := range r.Conds {
				lo, w := harden.Widths(host, p.Arches, n, c.Arg)
				if w >= 64 {
					continue
				}
				m := uint64(1)<<w - 1
				if c.Op == profile.OpMaskedEQ && c.Value&^(uint64(1)<<lo-1) == 0 {
					continue // compares the bits every kernel uses only
				}
				desc := fmt.Sprintf("%s: %s", argName(host, p.Arches, n, c.Arg, w), c)
				if lo != w {
					desc = fmt.Sprintf("%s: %s (%d bits on some of the ABIs)", argName(host, p.Arches, n, c.Arg, w), c, lo)
				}
				if !slices.Contains(bad, desc) {
					bad = append(bad, desc)
				}
				// High bits make a denying rule miss and an allowing
				// NE/GT/GE rule match: either way the call gets through
				// with a value the rule was written to stop.
				if !allow(r.Action) || c.Op == profile.OpNE || c.Op == profile.OpGT || c.Op == profile.OpGE {
					sev = High
				}
				var fix string
				switch c.Op {
				case profile.OpEQ:
					fix = fmt.Sprintf(`{"index": %d, "value": %d, "valueTwo": %d, "op": "SCMP_CMP_MASKED_EQ"}`, c.Arg, m, c.Value&m)
				case profile.OpMaskedEQ:
					fix = fmt.Sprintf(`{"index": %d, "value": %d, "valueTwo": %d, "op": "SCMP_CMP_MASKED_EQ"}`, c.Arg, c.Value&m, c.ValueTwo&c.Value&m)
				}
				if fix != "" && !slices.Contains(fixes, fix) {
					fixes = append(fixes, fix)
				}
			}
		}
		if len(bad) == 0 {
			continue
		}
		fix := "compare only the bits the kernel uses: MASKED_EQ with a mask of 0xffffffff (0xffff for umode_t) and the value; a range (NE, LT, LE, GT, GE) becomes several such rules"
		if len(fixes) > 0 {
			fix = "compare only the bits the kernel uses: " + strings.Join(fixes, ", ") + "; ranges become several such rules"
		}
		out = append(out, Finding{Severity: sev, Check: "int-high-bits", Rule: o.origin(i), Names: slices.Clone(r.Names),
			Message: fmt.Sprintf("rule %d (%s) compares all 64 bits of arguments the kernel truncates (%s): a caller sets the bits the kernel ignores to get past it, and the system call still sees the value the rule was written for",
				o.origin(i)+1, r.Action, strings.Join(bad, "; ")),
			Fix: fix + ", " + hardenFix})
	}
	return out
}

func argName(host arch.Arch, arches []arch.Arch, name string, i uint8, w int) string {
	for _, a := range append([]arch.Arch{host}, arches...) {
		if args, ok := a.SyscallArgs(name); ok && int(i) < len(args) {
			return fmt.Sprintf("%s's %s (%d bits)", name, args[i], w)
		}
	}
	return fmt.Sprintf("%s's argument %d (%d bits)", name, i, w)
}

// lintMultiplexers finds sub-calls of socketcall(2) and ipc(2) that the
// multiplexer lets through although the sub-call's own rules would not:
// conditions on the sub-call's arguments (a filter cannot see them
// through the multiplexer, so libseccomp drops them), and calls that
// differ from the rule's only in bits the kernel ignores (ipc's version
// in the high 16 bits, socketcall's high word).
func lintMultiplexers(p *profile.Profile, host arch.Arch, arches []arch.Arch) ([]Finding, error) {
	allow := profile.Action.Permits
	type hole struct {
		mux, sub string
		how      string
		abis     []string
	}
	var holes []*hole
	add := func(mux, sub, how string, a arch.Arch) {
		for _, h := range holes {
			if h.mux == mux && h.sub == sub && h.how == how {
				h.abis = append(h.abis, a.String())
				return
			}
		}
		holes = append(holes, &hole{mux, sub, how, []string{a.String()}})
	}
	for _, a := range arches {
		for _, mux := range []string{"socketcall", "ipc"} {
			nr, ok := a.SyscallNumber(mux)
			if !ok {
				continue
			}
			if mux == "socketcall" {
				if _, ok := a.Socketcall(); !ok {
					continue
				}
			} else if _, ok := a.IPC(); !ok {
				continue
			}
			eval := func(call uint64) (profile.Action, error) {
				return profile.Evaluate(p, host, profile.Data{Nr: nr, Arch: a.Audit(), Args: [6]uint64{call}})
			}
			for c := uint32(1); c <= 24; c++ {
				sub, ok := arch.SubcallName(mux, c)
				if !ok {
					continue
				}
				conditional, denied := false, false
				for _, r := range p.Rules {
					if r.Action == p.Default || !slices.Contains(r.Names, sub) {
						continue
					}
					if len(r.Conds) > 0 {
						conditional = true
					} else if !allow(r.Action) {
						denied = true
					}
				}
				base, err := eval(uint64(c))
				if err != nil {
					return nil, err
				}
				switch {
				case conditional && allow(base):
					add(mux, sub, fmt.Sprintf("%s(%d, ...) is allowed whatever %s's arguments, which the rules for %s compare", mux, c, sub, sub), a)
				case denied && allow(base):
					add(mux, sub, fmt.Sprintf("%s(%d, ...) is allowed, although a rule denies %s", mux, c, sub), a)
				}
				variants := []uint64{}
				if mux == "ipc" {
					variants = append(variants, uint64(c)|1<<16)
				}
				if a.Bits() == 64 {
					variants = append(variants, uint64(c)|1<<32)
				}
				for _, v := range variants {
					got, err := eval(v)
					if err != nil {
						return nil, err
					}
					if !allow(base) && allow(got) {
						add(mux, sub, fmt.Sprintf("%s(%#x, ...), which the kernel runs as %s, is allowed while %s(%d, ...) is not", mux, v, sub, mux, c), a)
					}
				}
			}
		}
	}
	var out []Finding
	for _, h := range holes {
		out = append(out, Finding{Severity: High, Check: "multiplexer", Rule: -1, Names: []string{h.mux, h.sub},
			Message: fmt.Sprintf("on %s %s", strings.Join(h.abis, ", "), h.how),
			Fix:     fmt.Sprintf(`deny %s for this call ahead of other rules, comparing the bits the kernel decodes: {"names": ["%s"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": %d, "valueTwo": CALL, "op": "SCMP_CMP_MASKED_EQ"}]}, and allow the other calls the same way instead of %s as a whole, %s`, h.mux, h.mux, map[string]uint32{"socketcall": harden.SocketcallMask, "ipc": harden.IPCCallMask}[h.mux], h.mux, hardenFix)})
	}
	return out, nil
}

// deniedByRule reports whether a rule that does not allow names name.
func deniedByRule(p *profile.Profile, name string) bool {
	for _, r := range p.Rules {
		if r.Action != p.Default && r.Action.Kind != profile.ActAllow && r.Action.Kind != profile.ActLog && slices.Contains(r.Names, name) {
			return true
		}
	}
	return false
}

// lintTwins finds system calls denied under one name and allowed under
// another on the same ABI: setuid and setuid32, mmap and mmap2,
// clock_settime and clock_settime64 (see harden.Twins).
func lintTwins(p *profile.Profile, host arch.Arch, arches []arch.Arch) ([]Finding, error) {
	allow := profile.Action.Permits
	var out []Finding
	for _, g := range harden.Twins {
		type verdict struct {
			name  string
			allow bool
		}
		var denied, allowed []string
		var abis []string
		for _, a := range arches {
			var vs []verdict
			for _, n := range g {
				nr, ok := a.SyscallNumber(n)
				if !ok {
					continue
				}
				act, err := profile.Evaluate(p, host, profile.Data{Nr: nr, Arch: a.Audit()})
				if err != nil {
					return nil, err
				}
				vs = append(vs, verdict{n, allow(act)})
			}
			// A denial counts when a rule gives it, or when it is the
			// group's main name: a profile that allows stat and not the
			// obsolete oldstat is not a hole.
			var d, al []string
			for _, v := range vs {
				switch {
				case v.allow:
					al = append(al, v.name)
				case v.name == g[0] || deniedByRule(p, v.name):
					d = append(d, v.name)
				}
			}
			if len(d) > 0 && len(al) > 0 {
				denied, allowed = d, al
				abis = append(abis, a.String())
			}
		}
		if len(abis) == 0 {
			continue
		}
		out = append(out, Finding{Severity: High, Check: "twin", Rule: -1, Names: append(slices.Clone(denied), allowed...),
			Message: fmt.Sprintf("%s %s denied on %s but %s, the same call under another name, %s allowed", strings.Join(denied, ", "), isAre(len(denied)), strings.Join(abis, ", "), strings.Join(allowed, ", "), isAre(len(allowed))),
			Fix:     fmt.Sprintf("give %s the action of %s (add the names to the same rule), %s", strings.Join(allowed, ", "), strings.Join(denied, ", "), hardenFix)})
	}
	return out, nil
}
