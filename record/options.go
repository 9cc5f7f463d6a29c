package record

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"

	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
)

// HelperCommand is the first argument with which a program that embeds
// the recorder is re-executed as its helper; such a program must call
// ExecHelper with the arguments that follow (see Options.Helper).
const HelperCommand = "__record-exec"

// Options control Run.
type Options struct {
	// Helper is the program and leading arguments (argv[0] first) that
	// re-execute the calling program as the recording helper; the
	// target's path and argv follow them. The program must call
	// ExecHelper with those. Default: /proc/self/exe with os.Args[0] and
	// HelperCommand.
	Helper []string
	// Args keeps the integer arguments seccomp can check (socket family
	// and type, clone flags, ioctl requests, prctl options, fcntl
	// commands, mmap and mprotect prot, personality).
	Args bool
	// Stdin, Stdout and Stderr of the program; nil means /dev/null.
	Stdin, Stdout, Stderr *os.File
	// Env of the program; nil means the caller's environment.
	Env []string
	// Dir is the program's working directory; "" means the caller's.
	Dir string
	// Stop is the signal sent to the program when the context ends;
	// 0 means SIGTERM.
	Stop syscall.Signal
	// Signals, when not nil, are forwarded to the program as they
	// arrive (a caller passes what it gets from signal.Notify), and the
	// recording goes on until the program has ended: to its first
	// process, and once that has ended to every process of it left. A program that ends
	// of a signal forwarded to it (or of Stop) did not crash: its
	// recording is not Partial.
	Signals <-chan os.Signal
	// Stops records with one ptrace stop per system call (the filter
	// returns SECCOMP_RET_TRACE) instead of through a seccomp listener
	// (SECCOMP_RET_USER_NOTIF, answered with CONTINUE), which costs about
	// half as much. Run uses stops anyway on kernels without
	// USER_NOTIF, its CONTINUE flag or pidfd_getfd (before 5.6). A
	// program that installs a listener filter of its own needs stops
	// (the kernel refuses a second listener in one filter chain).
	Stops bool
	// Known is a profile (resolved, default not ALLOW) whose
	// unconditionally allowed system calls are already known: the
	// recording filter lets them run without a stop, and they are not
	// recorded. Recording again with the profile of a first run costs a
	// stop only for what the first run did not do; Recording.AddTo then
	// adds that to the profile.
	Known *profile.Profile
	// ENOSYS names system calls the recording filter answers with
	// ENOSYS instead of recording them, so that the program falls back
	// to older calls whose arguments the recorder can read (clone3 keeps
	// its flags in memory; clone has them in a register). The ptrace
	// engine only.
	ENOSYS []string
	// OnUntraced, if set, is called once (from another goroutine) when
	// the program and the tasks traced with it have ended but tasks that
	// left the trace (CLONE_UNTRACED) still run under the recording
	// filter (a listener's; not with Stops), with the ids of those seen
	// so far (it may be empty: a task that has made no call yet is not
	// known). Run records their calls until they end or the context
	// ends; in the latter case the recording is Partial, naming the
	// tasks still running, whose later calls fail with ENOSYS.
	OnUntraced func(tids []int)
	// OnRecording, if set, is called once when a recorder that attaches
	// to processes already running (the eBPF engine's AttachPID and
	// AttachCgroup) records: calls made from then on are in the
	// recording.
	OnRecording func()
	// OnWaiting, if set, is called once after OnRecording when a
	// recording of a cgroup (AttachCgroup) starts while the cgroup has
	// no task: it records from the first that joins.
	OnWaiting func()
}

// Result is how the recorded program ended.
type Result struct {
	Recording *Recording
	// ExitCode is the program's exit status, or -1 when a signal ended it.
	ExitCode int
	// Signal is the signal that ended the program, or 0.
	Signal syscall.Signal
	// Listener reports that the calls came through a seccomp listener,
	// not ptrace stops (see Options.Stops).
	Listener bool
	// Hook says where the eBPF engine counted the calls (fentry on the
	// kernel's dispatchers, or the raw tracepoint sys_enter and why).
	Hook string
}

// ExitStatus is the status a recorder exits with, as strace does: the
// program's exit code, or 128+N when signal N ended it; and 1 when the
// program succeeded but the recording is Partial (it may lack calls),
// so that a script never takes a short profile for a whole one.
func (r *Result) ExitStatus() int {
	switch {
	case r.Signal != 0:
		return 128 + int(r.Signal)
	case r.ExitCode == 0 && r.Recording != nil && r.Recording.Partial:
		return 1
	}
	return r.ExitCode
}

// ErrNotFound and ErrNoExec report a target that cannot be started; they
// are launch's errors of the same names. The helper exits with
// HelperExitCode of its error, which is how Run tells them apart.
var (
	ErrNotFound = errs.ErrNotFound
	ErrNoExec   = errs.ErrNoExec
	// ErrNotSupported reports a platform where recording cannot run; it is
	// seccomp.ErrNotSupported.
	ErrNotSupported = errs.ErrNotSupported
	// ErrAttach reports a recorder that could not trace the program.
	ErrAttach = errors.New("cannot trace the program")
)

// HelperExitCode is the exit status of the recording helper that failed
// with err (the error of ExecHelper), and of a recorder whose recording
// failed with err: 127 for ErrNotFound, 126 for ErrNoExec and 125 for
// anything else, as syscage run's launcher exits.
func HelperExitCode(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return 127
	case errors.Is(err, ErrNoExec):
		return 126
	}
	return 125
}

// startError is a target that could not be started: Msg says why, Kind is
// ErrNotFound or ErrNoExec.
type startError struct {
	Kind error
	Msg  string
}

func (e *startError) Error() string { return e.Msg }
func (e *startError) Unwrap() error { return e.Kind }

// HelperArgv returns the program and argument vector with which a
// recording engine starts the helper on the target path and argv: the
// Helper of o, or its default, followed by path and argv.
func (o *Options) HelperArgv(path string, argv []string) (string, []string, error) {
	helper := o.Helper
	if len(helper) == 0 {
		helper = []string{"/proc/self/exe", os.Args[0], HelperCommand}
	}
	if len(helper) < 2 {
		return "", nil, errors.New("record: Options.Helper needs a path and argv[0]")
	}
	return helper[0], append(append(slices.Clone(helper[1:]), path), argv...), nil
}

// Stdio returns the descriptors the program gets as its standard input,
// output and error, and the environment it gets: those of o, /dev/null
// for a nil file and the caller's environment for a nil Env. The caller
// closes null once the program has started.
func (o *Options) Stdio() (fds []uintptr, env []string, null *os.File, err error) {
	null, err = os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, f := range []*os.File{o.Stdin, o.Stdout, o.Stderr} {
		if f == nil {
			f = null
		}
		fds = append(fds, f.Fd())
	}
	env = o.Env
	if env == nil {
		env = os.Environ()
	}
	return fds, env, null, nil
}

// String says how the program ended, as a shell would put it after the
// program's name: "exited with status 3", "was killed by SIGTERM"; ""
// when it exited with status 0.
func (r *Result) String() string {
	switch {
	case r.Signal != 0:
		return "was killed by " + unix.SignalString(r.Signal)
	case r.ExitCode != 0:
		return fmt.Sprintf("exited with status %d", r.ExitCode)
	}
	return ""
}

// OptionError is a recording asked for with options that do not go
// together or that name nothing; it is errs.OptionError.
type OptionError = errs.OptionError
