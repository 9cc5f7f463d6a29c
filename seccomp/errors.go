package seccomp

import "errors"

// ErrNotSupported reports a feature this platform or kernel lacks.
var ErrNotSupported = errors.New("not supported")
