package seccomp

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/unix"
)

// InstallProgram installs p as a seccomp filter on the calling process. It
// fails closed: on any error nothing was installed, and the caller must
// not go on to run what the filter was meant to confine.
//
// The program is checked with the kernel's rules first (bpf.Validate).
// Unless SkipNoNewPrivs is set, no_new_privs is set first, which lets a
// process without CAP_SYS_ADMIN install filters, and which the process
// keeps for good.
//
// no_new_privs and seccomp(2) act on the calling OS thread only, so the
// work happens on a thread locked for it. With TSYNC (the default) the
// kernel then gives the new filter, and no_new_privs, to every other
// thread of the process, which for a Go program means every runtime
// thread, and threads created later inherit it. If the install fails
// after no_new_privs was set, that thread is retired: its goroutine exits
// locked, and the runtime ends the thread (or, for the process's main
// thread, which cannot end, parks it for good), so no thread that runs Go
// code is left with a no_new_privs its siblings lack. Flags the kernel
// does not know are refused before no_new_privs is touched.
//
// With NoTSync only the calling thread is filtered: the calling goroutine
// is locked to its thread, and stays locked after InstallProgram returns
// (success or not) so that it keeps running on the filtered thread.
func InstallProgram(p bpf.Program, o InstallOptions) (Installed, error) {
	if err := p.Validate(); err != nil {
		return Installed{ListenerFD: -1}, fmt.Errorf("install filter: the kernel would refuse the program: %w", err)
	}
	prog := make([]unix.SockFilter, len(p))
	for i, ins := range p {
		prog[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return installRaw(prog, o)
}

// installRaw installs prog as it is, without validating it.
func installRaw(prog []unix.SockFilter, o InstallOptions) (Installed, error) {
	flags, err := installFlags(o)
	if err != nil {
		return Installed{ListenerFD: -1}, err
	}
	if flags&SECCOMP_FILTER_FLAG_TSYNC == 0 || o.CallingThread {
		if !o.CallingThread {
			runtime.LockOSThread() // for good: see InstallProgram
		}
		in, _, err := installOnThread(prog, flags, o)
		return in, err
	}
	type result struct {
		in  Installed
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		in, tainted, err := installOnThread(prog, flags, o)
		if !tainted {
			runtime.UnlockOSThread()
		}
		// A goroutine that exits locked takes its thread with it.
		done <- result{in, err}
	}()
	r := <-done
	return r.in, r.err
}

// installFlags returns the flags to install with.
func installFlags(o InstallOptions) (Flags, error) {
	flags := o.Flags
	if !o.NoTSync {
		flags |= SECCOMP_FILTER_FLAG_TSYNC
	}
	if flags&SECCOMP_FILTER_FLAG_TSYNC != 0 && flags&SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		// On success the kernel returns the listener; on a TSYNC failure
		// it would return a thread id, and the caller could not tell
		// them apart. The kernel refuses the pair without TSYNC_ESRCH.
		flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	if flags&SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 && flags&SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
		return 0, fmt.Errorf("install filter: %s needs %s", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_FILTER_FLAG_NEW_LISTENER)
	}
	return flags, nil
}

// installOnThread sets no_new_privs and installs prog on the calling
// thread, which the caller has locked. tainted reports a failure after
// this call turned no_new_privs on.
func installOnThread(prog []unix.SockFilter, flags Flags, o InstallOptions) (in Installed, tainted bool, err error) {
	in = Installed{ListenerFD: -1}
	// Refuse flags the kernel does not know before touching
	// no_new_privs: the probe installs nothing.
	if err := flagsError(flags, o); err != nil {
		return in, false, err
	}
	setNNP := false
	if !o.SkipNoNewPrivs {
		if on, err := unix.NoNewPrivs(); err != nil || !on {
			if err := unix.SetNoNewPrivs(); err != nil {
				return in, false, fmt.Errorf("install filter: set no_new_privs: %w", err)
			}
			setNNP = true
		}
	}
	set := unix.SetFilter
	if o.CallingThread {
		set = unix.SetFilterRaw // see InstallOptions.CallingThread
	}
	r, err := set(prog, uint(flags))
	if err != nil {
		return in, setNNP, installError(err, flags, o)
	}
	if flags&SECCOMP_FILTER_FLAG_TSYNC != 0 && flags&SECCOMP_FILTER_FLAG_TSYNC_ESRCH == 0 && r != 0 {
		return in, setNNP, &SyncError{TID: r}
	}
	in.Flags = flags
	if flags&SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		in.ListenerFD = r
	}
	return in, false, nil
}

// flagsError probes flags with a NULL program and, if the kernel refuses
// them, names the flags it does not know.
func flagsError(flags Flags, o InstallOptions) error {
	if !errors.Is(unix.ProbeFlags(uint(flags)), unix.EINVAL) {
		return nil
	}
	refused := refusedFlags(flags)
	if refused == 0 {
		return fmt.Errorf("install filter: this kernel refuses the combination %s: %w", flags, ErrNotSupported)
	}
	msg := fmt.Sprintf("install filter: this kernel does not know %s", refused)
	if refused&SECCOMP_FILTER_FLAG_TSYNC_ESRCH != 0 && o.Flags&SECCOMP_FILTER_FLAG_TSYNC_ESRCH == 0 {
		msg += " (added because TSYNC and NEW_LISTENER need it together; NoTSync avoids it)"
	}
	return fmt.Errorf("%s: %w", msg, ErrNotSupported)
}

// installError explains why seccomp(SECCOMP_SET_MODE_FILTER) failed.
func installError(err error, flags Flags, o InstallOptions) error {
	var e unix.Errno
	if !errors.As(err, &e) {
		return fmt.Errorf("install filter: %w", err)
	}
	switch e {
	case unix.EACCES:
		if o.SkipNoNewPrivs {
			return fmt.Errorf("install filter: no_new_privs is not set (SkipNoNewPrivs) and the process lacks CAP_SYS_ADMIN: %w", err)
		}
		return fmt.Errorf("install filter: permission denied although no_new_privs is set: %w", err)
	case unix.EINVAL:
		// The flags passed the probe (flagsError), so the kernel refused
		// the program itself.
		return fmt.Errorf("install filter: the kernel refused the program (flags %s): %w", flags, err)
	case unix.EFAULT:
		return fmt.Errorf("install filter: the kernel refused the program: it could not read it: %w", err)
	case unix.ENOMEM:
		return fmt.Errorf("install filter: the kernel refused the program: out of memory, or the filters of this thread would exceed 32768 instructions in all (each earlier filter counts 4 more): %w", err)
	case unix.ESRCH:
		return &SyncError{}
	case unix.EBUSY:
		return fmt.Errorf("install filter: a filter of this process already has a notification listener: %w", err)
	case unix.EPERM:
		return fmt.Errorf("install filter: a filter this process already runs under denies seccomp(2): %w", err)
	case unix.ENOSYS:
		return fmt.Errorf("install filter: this kernel has no seccomp(2): %w", ErrNotSupported)
	}
	return fmt.Errorf("install filter: %w", err)
}
