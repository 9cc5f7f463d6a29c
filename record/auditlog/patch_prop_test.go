package auditlog_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/auditlog"
	"github.com/syscage/syscage/seccomp"
)

var patchProp = proftest.NewProperty("patch", "TestPatchNeverWidens", "profiles", 400, 40,
	"checked", "patched", "calls refused", "skipped (libseccomp refuses them)", "inputs run",
	"decided otherwise after the patch", "of them beyond the logged calls, reported")

// TestPatchNeverWidens is the promise of complain patches, checked
// through the compiled filters of the profile and of the patched file:
// random profiles (overlapping rules, guards with conditions, rules with
// several names, socket rules that reach socketcall(2) on x86, several
// ABIs) and random logged calls of every ABI the filter covers are
// patched (MakePatch, on the profile's OCI text); on every covered ABI,
// on inputs seeded from the conditions' boundary values and random ones,
// a call the patched filter decides otherwise than the profile's must be
//
//   - a logged call the patch reports added, decided before by the
//     default action or by an unconditional rule naming it that the patch
//     says it took the name out of, and after let run or denied by a
//     guard the patch names; or
//   - a call that was denied and is now let run, decided before by such a
//     rule or the default, and listed in the report as let run beyond
//     the logged calls.
//
// A logged call reported added with no guard runs with any arguments.
func TestPatchNeverWidens(t *testing.T) {
	s := patchProp.Run(t, checkPatch)
	if !t.Failed() && s.Of("patched") < patchProp.N()/10 {
		t.Errorf("only %d of %d profiles patched", s.Of("patched"), patchProp.N())
	}
}

var noStub = seccomp.Options{NoENOSYS: true}

// adversarial prepends rules of the shapes that complain patches got
// wrong: a guard (a deny with conditions) for a name, unconditional
// denies of several names, a socket deny that reaches socketcall(2), and
// returns the names they use.
func adversarial(r *rand.Rand, p *profile.Profile) []string {
	names := []string{"personality", "uname", "getpid", "socket", "socketcall", "connect", "clone", "prctl"}
	deny := func() profile.Action {
		return []profile.Action{{Kind: profile.ActKillProcess}, {Kind: profile.ActErrno, Data: 1}, {Kind: profile.ActErrno, Data: 38}, {Kind: profile.ActTrap}}[r.IntN(4)]
	}
	ops := []profile.Op{profile.OpEQ, profile.OpNE, profile.OpGT, profile.OpMaskedEQ}
	var rules []profile.Rule
	for range 1 + r.IntN(4) {
		n := names[r.IntN(len(names))]
		switch r.IntN(4) {
		case 0, 1: // a guard
			c := profile.Cond{Arg: uint8(r.IntN(2)), Op: ops[r.IntN(len(ops))], Value: uint64(r.IntN(10))}
			if c.Op == profile.OpMaskedEQ {
				c.Value, c.ValueTwo = 0x7, uint64(r.IntN(8))
			}
			rules = append(rules, profile.Rule{Names: []string{n}, Action: deny(), Conds: []profile.Cond{c}})
		case 2: // several names
			rules = append(rules, profile.Rule{Names: []string{n, names[r.IntN(len(names))], "ptrace"}, Action: deny()})
		case 3:
			rules = append(rules, profile.Rule{Names: []string{n}, Action: profile.Action{Kind: profile.ActAllow}})
		}
	}
	for i := range rules {
		rules[i].Names = slices.Compact(rules[i].Names)
		if rules[i].Action == p.Default {
			rules[i].Action = profile.Action{Kind: profile.ActErrno, Data: 5}
		}
	}
	if r.IntN(2) == 0 {
		p.Rules = append(rules, p.Rules...)
	} else {
		p.Rules = append(p.Rules, rules...)
	}
	return names
}

// checkPatch checks a patch of one random profile.
func checkPatch(c *proftest.Case) error {
	r := c.R
	p := proftest.Random(r, proftest.Config{AllowOverlap: r.IntN(2) == 0})
	p.Arches = slices.Compact(p.Arches)
	extra := adversarial(r, p)
	switch r.IntN(3) {
	case 0:
		p.Default = profile.Action{Kind: profile.ActAllow}
	case 1:
		p.Default = profile.Action{Kind: profile.ActErrno, Data: 1}
	}
	for j := range p.Rules {
		if p.Rules[j].Action == p.Default {
			p.Rules[j].Action = profile.Action{Kind: profile.ActErrno, Data: 13}
		}
	}
	host := proftest.Host(p)
	text, err := oci.Format(p)
	if err != nil {
		c.Count("skipped (libseccomp refuses them)", 1)
		return nil
	}
	text = append(text, '\n')
	raw, err := oci.Parse("p.json", text)
	if err != nil {
		return fmt.Errorf("read back: %v", err)
	}
	if _, err := seccomp.Compile(raw, host, noStub); err != nil {
		c.Count("skipped (libseccomp refuses them)", 1)
		return nil
	}
	c.Count("checked", 1)
	abis := proftest.Covered(raw, host)

	// Logged calls: names the rules use, and some others.
	var names []string
	for _, rule := range raw.Rules {
		names = append(names, rule.Names...)
	}
	names = append(names, extra...)
	var events []audit.Event
	for range 1 + r.IntN(6) {
		a := abis[r.IntN(len(abis))]
		name := names[r.IntN(len(names))]
		nr, ok := a.SyscallNumber(name)
		if !ok || r.IntN(8) == 0 {
			sc := a.Syscalls()[r.IntN(len(a.Syscalls()))]
			nr, name = sc.Nr, sc.Name
		}
		events = append(events, audit.Event{Arch: a, AuditArch: a.Audit(), Nr: nr, Syscall: name})
	}
	var rec *record.Recording
	if r.IntN(3) == 0 {
		// A recording with argument values, as record --into adds.
		rec = record.New(host)
		for _, ev := range events {
			if r.IntN(4) == 0 {
				rec.Add(ev.Arch, ev.Nr, nil, false)
				continue
			}
			for range 1 + r.IntN(3) {
				args := [6]uint64{uint64(r.IntN(10)), uint64(r.IntN(20)), uint64(r.IntN(8))}
				rec.Add(ev.Arch, ev.Nr, &args, true)
			}
		}
	} else {
		dn := auditlog.Denied(raw, host, events)
		if len(dn.Names) == 0 {
			return nil
		}
		rec = dn.Rec
	}
	pt, err := auditlog.MakePatch("p.json", text, raw, host, rec, "added")
	if err != nil {
		return fmt.Errorf("MakePatch: %v (events %+v)\n%s", err, events, text)
	}
	for _, a := range pt.Adds {
		if !a.Added {
			c.Count("calls refused", 1)
		}
	}
	if err := verifyPatch(r, raw, text, host, events, rec, pt, c.Count); err != nil {
		if len(pt.Adds) > 0 {
			err = fmt.Errorf("%w\nevents: %v", err, events)
		}
		return err
	}
	return nil
}

// verifyPatch checks the promise of a patch pt of the profile raw (text)
// for the logged events (recorded in rec), through the compiled filters
// before and after, on inputs seeded from the conditions of both and the
// logged calls. A call recorded with argument values counts as logged
// with those values only when the patch could add it under them (every
// call of its name has values); else the addition must say it allows
// any arguments. It counts what it checks with count (patchProp's
// counters).
func verifyPatch(r *rand.Rand, raw *profile.Profile, text []byte, host arch.Arch, events []audit.Event, rec *record.Recording, pt *auditlog.Patch, count func(counter string, n int)) error {
	abis := proftest.Covered(raw, host)
	fb, err := seccomp.Compile(raw, host, noStub)
	if err != nil {
		return err
	}
	if pt.Diff == nil {
		if pt.NotPlain != nil {
			return fmt.Errorf("not plain: %v", pt.NotPlain)
		}
		return nil
	}
	count("patched", 1)
	patched, err := applyDiff(string(text), pt.Diff)
	if err != nil {
		return fmt.Errorf("%v", err)
	}
	after, err := oci.Parse("patched", []byte(patched))
	if err != nil {
		return fmt.Errorf("the patch does not read back: %v\n%s", err, pt.Diff)
	}
	fa, err := seccomp.Compile(after, host, noStub)
	if err != nil {
		return fmt.Errorf("compile the patched profile: %v\n%s", err, patched)
	}
	calls := rec.Calls()
	valued := map[string]bool{}
	for _, c := range calls {
		valued[c.Name] = !slices.ContainsFunc(calls, func(d record.Call) bool {
			_, direct := d.Arch.SyscallNumber(d.Name)
			return d.Name == c.Name && (d.Values == nil || !direct || !slices.Equal(d.ArgIndexes, c.ArgIndexes))
		})
	}
	for _, ad := range pt.Adds {
		for _, c := range calls {
			if c.Arch == ad.Arch && c.Name == ad.Name && ad.Added && c.Values != nil && !valued[c.Name] && !ad.AnyArgs {
				return fmt.Errorf("%s %s recorded with values, added for any arguments, not said: %+v", ad.Arch, ad.Name, ad)
			}
		}
	}
	// matches reports whether args are among the recorded values of a
	// call of a valued name.
	matches := func(a arch.Arch, name string, args [6]uint64) bool {
		if !valued[name] {
			return true
		}
		for _, c := range calls {
			if c.Arch != a || c.Name != name {
				continue
			}
			for _, v := range c.Values {
				ok := true
				for i, k := range c.ArgIndexes {
					x := args[k]
					if a.Bits() == 32 {
						x &= 0xffffffff
					}
					ok = ok && x == v[i]
				}
				if ok {
					return true
				}
			}
		}
		return false
	}
	logged := func(a arch.Arch, nr uint32, args [6]uint64) *record.Addition {
		for k, ad := range pt.Adds {
			if n, ok := a.SyscallNumber(ad.Name); ad.Arch == a && ok && n == nr {
				return &pt.Adds[k]
			}
			if m, ok := ad.Arch.Multiplexed(ad.Name); ok && ad.Arch == a && !slices.ContainsFunc(a.Syscalls(), func(sc arch.Syscall) bool { return sc.Name == ad.Name }) && m.Nr == nr && args[0] == uint64(m.Call) {
				return &pt.Adds[k]
			}
		}
		return nil
	}
	for _, a := range abis {
		rb, err1 := proftest.NewRunner(fb, a)
		ra, err2 := proftest.NewRunner(fa, a)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("%v", err)
		}
		probes := proftest.Probe(r, a, 40, raw, after)
		for _, ev := range events {
			if ev.Arch == a {
				for _, args := range [][6]uint64{{}, {8, 1, 2}, {r.Uint64() & 0xff, r.Uint64() & 0xf}, {1, 16}, {uint64(r.IntN(10)), uint64(r.IntN(20)), uint64(r.IntN(8))}} {
					probes = append(probes, bpf.SeccompData{Nr: int32(ev.Nr), Arch: a.Audit(), Args: args})
				}
			}
		}
		for _, d := range probes {
			vb, err1 := rb.Run(d)
			va, err2 := ra.Run(d)
			if err := errors.Join(err1, err2); err != nil {
				return fmt.Errorf("%v", err)
			}
			count("inputs run", 1)
			nr := uint32(d.Nr)
			ea, ok := arch.FromAuditNr(d.Arch, nr) // an x32 number in the x86_64 filter, or the other way round
			if !ok || !slices.Contains(abis, ea) {
				if vb != va {
					return fmt.Errorf("%s input %+v of an ABI the filter does not cover: %v became %v", a, d, seccomp.ActionOf(vb), seccomp.ActionOf(va))
				}
				continue
			}
			name, _ := ea.SyscallName(nr)
			ad := logged(ea, nr, d.Args)
			if ad != nil && !matches(ea, ad.Name, d.Args) {
				ad = nil // other arguments than those recorded
			}
			if ad != nil && ad.Added && len(ad.Guards) == 0 && !proftest.Permits(va) {
				return fmt.Errorf("%s %s args %#x: reported added, the patched filter gives %v\npatch:\n%s", ea, name, d.Args, seccomp.ActionOf(va), pt.Diff)
			}
			if vb == va {
				continue
			}
			count("decided otherwise after the patch", 1)
			v, err := profile.Explain(raw, host, profile.Data{Nr: nr, Arch: d.Arch, Args: d.Args})
			if err != nil {
				return fmt.Errorf("explain: %v", err)
			}
			what := fmt.Sprintf("%s %s (nr %#x) args %#x: %v became %v (decided by rule %d)\nadditions: %+v\nprofile:\n%s\npatch:\n%s",
				ea, name, nr, d.Args, seccomp.ActionOf(vb), seccomp.ActionOf(va), v.Rule+1, pt.Adds, text, pt.Diff)
			// What decided it before: the default, or a rule with no
			// conditions that a patched addition took a name out of.
			decider := func(ad *record.Addition) bool {
				if v.Rule == profile.DecidedByDefault {
					return !v.Action.Permits()
				}
				return v.Rule >= 0 && len(raw.Rules[v.Rule].Conds) == 0 && slices.Contains(ad.Undenied, v.Rule)
			}
			if ad != nil && ad.Added {
				// The name may have been taken out for the same call of
				// another ABI, or for a call that reaches this one
				// (socket through socketcall).
				if !slices.ContainsFunc(pt.Adds, func(o record.Addition) bool { return o.Added && reaches(o.Name, ea, nr) && decider(&o) }) {
					return fmt.Errorf("a logged call, decided by what did not decide it: %s", what)
				}
				if !proftest.Permits(va) {
					w, _ := profile.Explain(after, host, profile.Data{Nr: nr, Arch: d.Arch, Args: d.Args})
					if w.Rule < 0 || len(after.Rules[w.Rule].Conds) == 0 || after.Rules[w.Rule].Action.Permits() {
						return fmt.Errorf("a logged call now denied by other than a guard: %s", what)
					}
				}
				continue
			}
			if proftest.Permits(vb) || !proftest.Permits(va) {
				return fmt.Errorf("a call that was not logged is decided otherwise: %s", what)
			}
			reported := false
			for _, ad := range pt.Adds {
				if ad.Added && decider(&ad) && slices.ContainsFunc(ad.Beyond, func(b record.Beyond) bool { return b.Arch == ea && b.Name == name }) {
					reported = true
				}
			}
			if !reported {
				return fmt.Errorf("let run and not reported beyond the logged calls: %s", what)
			}
			count("of them beyond the logged calls, reported", 1)
		}
	}
	return nil
}

// reaches reports whether a rule naming name reaches system call nr of
// ABI a, directly or through socketcall(2) or ipc(2).
func reaches(name string, a arch.Arch, nr uint32) bool {
	if n, ok := a.SyscallNumber(name); ok && n == nr {
		return true
	}
	m, ok := a.Multiplexed(name)
	return ok && m.Nr == nr
}
