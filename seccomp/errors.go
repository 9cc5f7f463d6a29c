package seccomp

import "github.com/syscage/syscage/internal/errs"

// ErrNotSupported reports a feature this platform or kernel lacks. It is
// the one such error of syscage: audit, inspect and record return the
// same value.
var ErrNotSupported = errs.ErrNotSupported
