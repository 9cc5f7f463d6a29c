package seccomp

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/unix"
)

// InstallProgram validates p and installs it as a seccomp filter on the
// calling process. It fails closed: on any error the caller must assume
// nothing was installed and must not go on to run what the filter was
// meant to confine.
//
// The calling goroutine is locked to its OS thread while installing,
// because no_new_privs and seccomp(2) act on the calling thread; TSYNC
// then gives the same filter to every other thread of the process, which
// for a Go program means every runtime thread. Without TSYNC (NoTSync)
// only the calling thread is filtered, and the goroutine stays locked to
// it so that the caller keeps running filtered.
func InstallProgram(p bpf.Program, o InstallOptions) (Installed, error) {
	res := Installed{ListenerFD: -1}
	if err := p.Validate(); err != nil {
		return res, fmt.Errorf("install filter: the kernel would refuse the program: %w", err)
	}
	flags := o.Flags
	if !o.NoTSync {
		flags |= SECCOMP_FILTER_FLAG_TSYNC
		if flags&SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
			// TSYNC and NEW_LISTENER together need TSYNC_ESRCH, or the
			// return value would be ambiguous (a tid or a descriptor).
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH
		}
	}
	prog := make([]unix.SockFilter, len(p))
	for i, ins := range p {
		prog[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}

	runtime.LockOSThread()
	if !o.NoTSync {
		defer runtime.UnlockOSThread()
	}
	if !o.SkipNoNewPrivs {
		if err := unix.SetNoNewPrivs(); err != nil {
			return res, fmt.Errorf("install filter: set no_new_privs: %w", err)
		}
	}
	r, err := unix.SetFilter(prog, uint(flags))
	if err != nil {
		return res, installError(err, flags, o)
	}
	if !o.NoTSync && flags&SECCOMP_FILTER_FLAG_TSYNC_ESRCH == 0 && r > 0 {
		return res, fmt.Errorf("install filter: thread %d could not be synchronized (it runs another filter tree); nothing was installed", r)
	}
	res.Flags = flags
	if flags&SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		res.ListenerFD = r
	}
	return res, nil
}

func installError(err error, flags Flags, o InstallOptions) error {
	var e unix.Errno
	if !errors.As(err, &e) {
		return fmt.Errorf("install filter: %w", err)
	}
	switch e {
	case unix.EACCES:
		return fmt.Errorf("install filter: permission denied: without no_new_privs installing needs CAP_SYS_ADMIN: %w", err)
	case unix.EINVAL:
		// Name the flags this kernel refuses.
		var refused Flags
		for _, n := range flagNames {
			if flags&n.f != 0 && unix.ProbeFlags(uint(n.f)) == unix.EINVAL {
				refused |= n.f
			}
		}
		if refused != 0 {
			return fmt.Errorf("install filter: this kernel does not support %s: %w", refused, ErrNotSupported)
		}
		return fmt.Errorf("install filter: the kernel refused the program or flags %s: %w", flags, err)
	case unix.ESRCH:
		return fmt.Errorf("install filter: a thread could not be synchronized (it runs another filter tree); nothing was installed: %w", err)
	case unix.EBUSY:
		return fmt.Errorf("install filter: a notification listener already exists in this filter tree: %w", err)
	case unix.EFAULT:
		return fmt.Errorf("install filter: the kernel could not read the program: %w", err)
	}
	return fmt.Errorf("install filter: %w", err)
}
