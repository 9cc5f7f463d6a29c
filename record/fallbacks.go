package record

import "slices"

// ENOSYSFallbacks returns the system calls that glibc, systemd and runc
// try first and fall back from only on ENOSYS: a profile that does not
// allow one should answer it with ENOSYS, not its default (as Profile
// does).
func ENOSYSFallbacks() []string { return slices.Clone(enosysFallbacks) }
