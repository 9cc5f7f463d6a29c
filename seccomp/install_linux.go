package seccomp

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/syscage/syscage/arch"
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
	chk, err := newInstallCheck(prog, o)
	if err != nil {
		return in, setNNP, err
	}
	set := unix.SetFilter
	if o.CallingThread {
		set = unix.SetFilterRaw // see InstallOptions.CallingThread
	}
	r, err := set(prog, uint(flags))
	if err != nil {
		chk.close()
		return in, setNNP, installError(err, flags, o)
	}
	if flags&SECCOMP_FILTER_FLAG_TSYNC != 0 && flags&SECCOMP_FILTER_FLAG_TSYNC_ESRCH == 0 && r != 0 {
		chk.close()
		return in, setNNP, &SyncError{TID: r}
	}
	if chk.st != nil {
		// Only when the check is on: on the stage's thread, between the
		// install and execve, a call is a point where the scheduler
		// may park the thread on a futex the filter may deny (see
		// InstallOptions.CallingThread); after and what it calls are
		// nosplit, so that they are not such points.
		if err := chk.after(); err != nil {
			return in, setNNP, err
		}
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
	perr := unix.ProbeFlags(uint(flags))
	if perr == nil {
		// The kernel never installs a NULL program: whatever answered
		// would answer the real install the same way.
		return fmt.Errorf("install filter: seccomp(2) reported success for a NULL program, which the kernel refuses: %w", ErrFaked)
	}
	if !errors.Is(perr, unix.EINVAL) {
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

// installCheck verifies, with /proc/thread-self/status, that an install
// the kernel reported as done was done: a filter this process already
// runs under may answer seccomp(2) or prctl(2) with 0 (ERRNO with errno 0,
// or a notification supervisor that answers for the kernel), and the
// program meant to be confined would run unfiltered.
type installCheck struct {
	st     *unix.ThreadStatus // nil when there is nothing to check after the install
	before int                // Seccomp_filters before the install
}

var (
	keyFilters    = []byte("Seccomp_filters")
	keyNoNewPrivs = []byte("NoNewPrivs")
)

// newInstallCheck reads the calling thread's status before the install:
// no_new_privs must be on unless o.SkipNoNewPrivs, and the number of
// filters is kept for after, when prog lets the thread read the file
// again (the read and the close are run through prog in the VM with their
// real arguments first: the check never makes a call the new filter would
// deny). A kernel without /proc or without Seccomp_filters (before 5.9)
// is checked by the NULL-program probe alone (flagsError).
func newInstallCheck(prog []unix.SockFilter, o InstallOptions) (*installCheck, error) {
	st, err := unix.OpenThreadStatus()
	if err != nil {
		return &installCheck{}, nil
	}
	b, ok := st.Read()
	if !ok {
		st.Close()
		return &installCheck{}, nil
	}
	if nnp, ok := unix.StatusField(b, keyNoNewPrivs); ok && nnp != 1 && !o.SkipNoNewPrivs {
		st.Close()
		return nil, fmt.Errorf("install filter: prctl(PR_SET_NO_NEW_PRIVS) reported success but NoNewPrivs is %d: %w", nnp, ErrFaked)
	}
	n, ok := unix.StatusField(b, keyFilters)
	if !ok || !allows(prog, st.ReadCall) || !allows(prog, st.CloseCall) {
		st.Close()
		return &installCheck{}, nil
	}
	return &installCheck{st: st, before: n}, nil
}

// after checks that the install added exactly one filter, and closes the
// status file. It makes no call that can be preempted, but on failure.
//
//go:nosplit
func (c *installCheck) after() error {
	b, ok := c.st.Read()
	c.st.Close()
	if !ok {
		return nil // allowed in the VM, but an earlier filter may deny it
	}
	n, ok := unix.StatusField(b, keyFilters)
	if ok && n != c.before+1 {
		return fakedCount(c.before, n)
	}
	return nil
}

func fakedCount(before, after int) error {
	return fmt.Errorf("install filter: seccomp(2) reported success but the thread's Seccomp_filters went from %d to %d: %w", before, after, ErrFaked)
}

func (c *installCheck) close() {
	if c.st != nil {
		c.st.Close()
	}
}

// allows reports whether prog returns ALLOW or LOG for the native system
// call call returns, whatever the instruction pointer (a program that
// reads it is not asked).
func allows(prog []unix.SockFilter, call func() (uint32, [6]uint64)) bool {
	native, ok := arch.Native()
	if !ok {
		return false
	}
	p := make(bpf.Program, len(prog))
	for i, ins := range prog {
		if ins.Code&0x07 == bpf.BPF_LD && ins.Code&0xe0 == bpf.BPF_ABS && ins.K >= bpf.OffsetInstructionPointer && ins.K < bpf.OffsetArgs {
			return false
		}
		p[i] = bpf.Instruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	nr, args := call()
	d := bpf.SeccompData{Nr: int32(nr), Arch: native.Audit(), Args: args}
	order := native.ByteOrder()
	ret, _, err := bpf.NewVM(order).Run(p, d.Marshal(order))
	if err != nil {
		return false
	}
	switch ret & SECCOMP_RET_ACTION_FULL {
	case SECCOMP_RET_ALLOW, SECCOMP_RET_LOG:
		return true
	}
	return false
}
