package record

import (
	"fmt"
	"slices"

	"github.com/syscage/syscage/internal/errs"
)

// MaxShown is how many skipped input lines a Report lists one by one.
const MaxShown = 10

// Report is the JSON report of a recording written as a profile (syscage
// record and import --json): the file written, the calls added to a
// known profile, the calls in no table and the input lines skipped.
type Report struct {
	Written   string     `json:"written"`
	Additions []Addition `json:"additions"`
	Unknown   []string   `json:"unknown"`
	Skipped   []string   `json:"skipped,omitempty"` // the first lines skipped
	// SkippedCount is how many lines were skipped in all.
	SkippedCount int `json:"skipped_count"`
	// Lost are a recorder's loss counters (the eBPF engine's).
	Lost []Loss `json:"lost,omitempty"`
	// Hook says where the eBPF engine counted the calls (Result.Hook).
	Hook string `json:"hook,omitempty"`
	// Partial says why a recording may lack calls.
	Partial string `json:"partial,omitempty"`
}

// NewReport reports rec written to written, with the additions AddTo
// made and the input lines skipped reading it (the first MaxShown of
// them, and how many in all).
func NewReport(written string, rec *Recording, adds []Addition, skipped []error) Report {
	r := Report{Written: written, Additions: append([]Addition{}, adds...), Unknown: append([]string{}, rec.Unknown...),
		SkippedCount: errs.CountSkipped(skipped), Lost: slices.Clone(rec.Lost)}
	for _, s := range errs.FirstSkipped(skipped, MaxShown) {
		r.Skipped = append(r.Skipped, s.Error())
	}
	if rec.Partial {
		r.Partial = rec.Reason
	}
	return r
}

// Lines warn, one line each, of the calls in no table and of the input
// lines skipped (the first MaxShown, then how many more).
func (r Report) Lines() []string {
	var out []string
	for _, u := range r.Unknown {
		out = append(out, "warning: system call "+u+" is in no table; the compiled filter answers it with ENOSYS")
	}
	for _, s := range r.Skipped {
		out = append(out, s+" (line skipped)")
	}
	if n := r.SkippedCount - len(r.Skipped); n > 0 {
		out = append(out, fmt.Sprintf("... and %d more lines skipped", n))
	}
	return out
}
