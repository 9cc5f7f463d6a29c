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

// Reader returns the record.Reader of the records f matches: Read of an
// input, and ReadKmsg (the kernel's log buffer) for a nil one.
func Reader(f audit.Filter) record.Reader {
	return func(rec *record.Recording, name string, r io.Reader) ([]error, error) {
		if r == nil {
			return ReadKmsg(rec, f)
		}
		return Read(rec, name, r, f)
	}
}

// Denials are the calls a profile would have denied, read from the LOG
// records of a program run in complain mode under it.
type Denials struct {
	// Rec holds the calls the profile would have denied; Rec.Unknown the
	// numbers no table names (no rule can name them: the default action
	// decides them).
	Rec *record.Recording
	// Names are the names of Rec's calls, sorted.
	Names []string
	// OtherABIs are the ABIs of calls the profile does not cover, sorted.
	OtherABIs []string
	// Unsure are calls ("abi name", sorted) that the profile logs itself
	// for some arguments and denies for others: a log record has no
	// arguments to tell which it was, so they are not in Rec.
	Unsure []string
}

// Denied reads the LOG records of a program run in complain mode under
// p (launch.Complain of p, resolved for host). Calls p logs itself are
// not denials.
func Denied(p *profile.Profile, host arch.Arch, events []audit.Event) Denials {
	covered := append([]arch.Arch{host}, p.Arches...)
	d := Denials{Rec: record.New(host)}
	for _, ev := range events {
		if ev.Arch == arch.Invalid {
			continue
		}
		if !slices.Contains(covered, ev.Arch) {
			if n := ev.Arch.String(); !slices.Contains(d.OtherABIs, n) {
				d.OtherABIs = append(d.OtherABIs, n)
			}
			continue
		}
		// What p does with the call, for every argument: ALLOW is never
		// logged, so a record is p's own LOG or a denial.
		outs, err := profile.Outcomes(p, host, ev.Arch, ev.Nr, nil)
		logs, denies := false, err != nil
		for _, o := range outs {
			logs = logs || o.Action.Kind == profile.ActLog
			denies = denies || !o.Action.Permits()
		}
		switch {
		case !denies:
			continue // the profile itself logs it
		case logs:
			if n := ev.Arch.String() + " " + ev.Name(); !slices.Contains(d.Unsure, n) {
				d.Unsure = append(d.Unsure, n)
			}
			continue
		}
		d.Rec.Add(ev.Arch, ev.Nr, nil, false)
		if ev.Syscall != "" && !slices.Contains(d.Names, ev.Syscall) {
			d.Names = append(d.Names, ev.Syscall)
		}
	}
	slices.Sort(d.Names)
	slices.Sort(d.OtherABIs)
	slices.Sort(d.Unsure)
	return d
}
