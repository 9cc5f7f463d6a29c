package profile

import (
	"errors"
	"fmt"
	"strings"
)

// Loss is one thing a profile format cannot express, found while writing
// a profile in it.
type Loss struct {
	Rule int    // 1-based index into Profile.Rules; 0 for the profile as a whole
	What string // what is lost, and (with lossy writing) what was written instead
}

// String returns "rule N: what" or "what".
func (l Loss) String() string {
	if l.Rule > 0 {
		return fmt.Sprintf("rule %d: %s", l.Rule, l.What)
	}
	return l.What
}

// LossError reports that a format cannot express a profile exactly. The
// writers of the format packages return it unless they were asked to
// write the nearest form that is never more permissive.
type LossError struct {
	Format string // "lxc", "systemd", ...
	Losses []Loss
}

func (e *LossError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s cannot express %d part(s) of the profile:", e.Format, len(e.Losses))
	for _, l := range e.Losses {
		b.WriteString("\n  ")
		b.WriteString(l.String())
	}
	return b.String()
}

// Unwrap returns ErrNotExpressible.
func (e *LossError) Unwrap() error { return ErrNotExpressible }

// ErrNotExpressible reports a profile that a format cannot hold exactly.
var ErrNotExpressible = errors.New("not expressible in the target format")

// Stricter returns the more restrictive of two actions: the one the
// kernel ranks first (KILL_PROCESS before KILL_THREAD before TRAP before
// ERRNO before USER_NOTIF before TRACE before LOG before ALLOW), and of
// two ERRNO or TRACE actions the first.
func Stricter(a, b Action) Action {
	if b.Kind < a.Kind {
		return b
	}
	return a
}

// Conditional reports whether r applies only to some system calls of its
// names, or only in some environments: it has argument conditions,
// includes or excludes.
func (r Rule) Conditional() bool {
	return len(r.Conds) > 0 || !r.Includes.IsZero() || !r.Excludes.IsZero()
}
