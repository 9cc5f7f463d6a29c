package cli

import (
	"fmt"
	"os"

	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/auditlog"
)

// complainReport prints what run --complain found (auditlog.Complain):
// the system calls the profile would have denied, and a patch that
// allows them, to patchFile or to stderr.
func complainReport(e *env, patchFile string, o auditlog.ComplainOptions) error {
	o.Data, _ = os.ReadFile(o.Name) // none: a built-in
	o.Comment = "added by syscage run --complain"
	c, err := auditlog.Complain(o)
	if err != nil {
		return err
	}
	for _, l := range c.Lines() {
		fmt.Fprintf(e.stderr, "syscage: complain: %s\n", l)
	}
	switch {
	case c.Patch == nil || c.Patch.Diff == nil:
		return nil
	case patchFile != "":
		return writeOutput(e, patchFile, c.Patch.Diff)
	}
	_, err = e.stderr.Write(c.Patch.Diff)
	return err
}

// reportAdditions says what adding a recording to a profile did for each
// call.
func reportAdditions(e *env, adds []record.Addition, prefix string) {
	for _, a := range adds {
		fmt.Fprintf(e.stderr, "syscage: %s%s\n", prefix, a)
	}
}
