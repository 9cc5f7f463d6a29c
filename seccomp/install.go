package seccomp

import (
	"errors"
	"fmt"
)

// ErrFaked reports that seccomp(2) or prctl(2) said it had done what the
// kernel did not do: a filter or a notification supervisor the process
// already runs under answers them in the kernel's place (a nested
// sandbox, ERRNO with errno 0). Nothing was installed.
var ErrFaked = errors.New("something other than the kernel answered: a filter this process runs under fakes seccomp(2); nothing was installed")

// InstallOptions control InstallProgram.
type InstallOptions struct {
	// Flags are the SECCOMP_FILTER_FLAG_* to request. TSYNC is added
	// unless NoTSync is set; TSYNC_ESRCH is added when TSYNC and
	// NEW_LISTENER meet, since the kernel refuses that pair without it.
	Flags Flags
	// NoTSync installs the filter on the calling thread only, and leaves
	// the calling goroutine locked to that thread.
	NoTSync bool
	// SkipNoNewPrivs leaves no_new_privs alone; installing then needs
	// CAP_SYS_ADMIN.
	SkipNoNewPrivs bool
	// CallingThread installs on the calling thread, which the caller has
	// locked with runtime.LockOSThread, instead of a thread locked for the
	// purpose; TSYNC still applies. A launcher that calls execve next uses
	// it so that no other Go code runs between the two; the seccomp(2)
	// call is then made without telling the scheduler (RawSyscall), so
	// that the thread does not wait on a futex for its P afterwards, under
	// a filter that may deny futex. If the install fails after
	// no_new_privs was set, the calling thread keeps it.
	CallingThread bool
}

// Installed reports what InstallProgram did.
type Installed struct {
	Flags      Flags // the flags the filter was installed with
	ListenerFD int   // the notification descriptor with NEW_LISTENER (close-on-exec), else -1
}

// Install installs f on the calling process. See InstallProgram.
func Install(f *Filter, o InstallOptions) (Installed, error) {
	return InstallProgram(f.Program, o)
}

// SyncError reports that SECCOMP_FILTER_FLAG_TSYNC could not give the
// filter to every thread of the process: a thread runs a filter that is
// not an ancestor of the installing thread's (it installed one of its
// own without TSYNC), or runs in strict mode. Nothing was installed.
type SyncError struct {
	// TID is the thread the kernel named, or 0 when it did not say (with
	// SECCOMP_FILTER_FLAG_TSYNC_ESRCH the kernel returns ESRCH instead).
	TID int
}

func (e *SyncError) Error() string {
	if e.TID == 0 {
		return "install filter: a thread of this process has a filter of its own (TSYNC failed with ESRCH); nothing was installed"
	}
	return fmt.Sprintf("install filter: thread %d has a filter of its own and cannot be synchronized (TSYNC); nothing was installed", e.TID)
}
