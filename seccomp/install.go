package seccomp

import "errors"

// ErrNotSupported reports a feature this platform or kernel lacks.
var ErrNotSupported = errors.New("not supported")

// InstallOptions control InstallProgram.
type InstallOptions struct {
	// Flags are SECCOMP_FILTER_FLAG_* to request. TSYNC is always added
	// unless NoTSync is set.
	Flags   Flags
	NoTSync bool
	// SkipNoNewPrivs leaves no_new_privs alone; installing then needs
	// CAP_SYS_ADMIN.
	SkipNoNewPrivs bool
}

// Installed reports what InstallProgram did.
type Installed struct {
	Flags      Flags // the flags the filter was installed with
	ListenerFD int   // the notification descriptor with NEW_LISTENER, else -1
}

// Install installs f on the calling process: every thread of it, with
// TSYNC. See InstallProgram.
func Install(f *Filter, o InstallOptions) (Installed, error) {
	return InstallProgram(f.Program, o)
}
