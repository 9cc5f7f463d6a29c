// Package auditlog turns the seccomp records of the kernel and audit
// logs into a recording, as package strace turns strace output into
// one: the harvest of complain mode (a program run under a profile
// whose denials became LOG) and of any log of a program's denials.
package auditlog

import (
	"fmt"
	"io"
	"slices"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// Add adds the call of ev to rec; a call of an ABI syscage does not know
// goes to rec.Unknown as ARCH:NR.
func Add(rec *record.Recording, ev audit.Event) {
	if ev.Arch == arch.Invalid {
		rec.Unknown = append(rec.Unknown, fmt.Sprintf("%s:%d", ev.ArchName(), ev.Nr))
		return
	}
	rec.Add(ev.Arch, ev.Nr, nil, false)
}

// Read adds to rec the records of r (name is used in errors) that f
// matches, as it reads them: memory holds one line and the recording,
// however long r is. Lines that cannot be read, or whose record the
// kernel did not write, are skipped and returned (audit.MaxSkipped of
// them, then an *audit.MoreSkipped); err is an error of r.
func Read(rec *record.Recording, name string, r io.Reader, f audit.Filter) (skipped []error, err error) {
	var skip audit.SkipList
	rd := audit.NewReader(r, name)
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return skip.List(), nil
		}
		if audit.Skippable(err) {
			skip.Add(err)
			continue
		}
		if err != nil {
			return skip.List(), err
		}
		if f.Match(&ev) {
			Add(rec, ev)
		}
	}
}

// ReadKmsg adds to rec the records of the kernel's log buffer that f
// matches (audit.ReadKmsg).
func ReadKmsg(rec *record.Recording, f audit.Filter) (skipped []error, err error) {
	evs, skipped, err := audit.ReadKmsg("")
	if err != nil {
		return skipped, err
	}
	for _, ev := range f.Select(evs) {
		Add(rec, ev)
	}
	return skipped, nil
}

// Denied reads the LOG records of a program run in complain mode under
// p (launch.Complain of p, resolved for host): the calls p would have
// denied, as a recording and by name (sorted), and the ABIs of calls p
// does not cover (sorted). Calls p logs itself are not denials.
func Denied(p *profile.Profile, host arch.Arch, events []audit.Event) (rec *record.Recording, names, otherABIs []string) {
	covered := append([]arch.Arch{host}, p.Arches...)
	rec = record.New(host)
	for _, ev := range events {
		if ev.Arch == arch.Invalid || ev.Syscall == "" {
			continue
		}
		if !slices.Contains(covered, ev.Arch) {
			if n := ev.Arch.String(); !slices.Contains(otherABIs, n) {
				otherABIs = append(otherABIs, n)
			}
			continue
		}
		v, err := profile.Explain(p, host, profile.Data{Nr: ev.Nr, Arch: ev.AuditArch})
		if err == nil && v.Action.Kind == profile.ActLog && v.Rule != profile.DecidedByBadArch {
			continue // the profile itself logs it
		}
		rec.Add(ev.Arch, ev.Nr, nil, false)
		if !slices.Contains(names, ev.Syscall) {
			names = append(names, ev.Syscall)
		}
	}
	slices.Sort(names)
	slices.Sort(otherABIs)
	return rec, names, otherABIs
}
