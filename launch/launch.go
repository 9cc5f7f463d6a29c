package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Errors of Start. A *StartError wraps one of them.
var (
	// ErrNotFound reports a program that does not exist (exit 127 by the
	// docker/env convention). record.ErrNotFound is the same error.
	ErrNotFound = errs.ErrNotFound
	// ErrNoExec reports a program that exists but cannot be executed
	// (126). record.ErrNoExec is the same error.
	ErrNoExec = errs.ErrNoExec
	// ErrFilter reports a filter that could not be built or installed, or
	// that denies what the launch itself needs (125).
	ErrFilter = errors.New("filter not installed")
	// ErrSetup reports any other failure of the launcher (125).
	ErrSetup = errors.New("launch failed")
)

// StartError reports why the program was not started. The program never
// ran: no code of it executed, filtered or not.
type StartError struct {
	Kind error // ErrNotFound, ErrNoExec, ErrFilter or ErrSetup
	Msg  string
}

func (e *StartError) Error() string { return e.Msg }
func (e *StartError) Unwrap() error { return e.Kind }

// ExitCode is the docker/env exit code of the failure: 127, 126 or 125.
func (e *StartError) ExitCode() int {
	switch e.Kind {
	case ErrNotFound:
		return 127
	case ErrNoExec:
		return 126
	}
	return 125
}

// Cmd is a program to run under a seccomp filter.
type Cmd struct {
	Path string   // the program; looked up in PATH when it has no slash
	Args []string // argv, including argv[0]; Path alone when empty
	// Env is the program's environment; nil means the launcher's own.
	Env []string
	Dir string // working directory; "" for the launcher's

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// ExtraFiles are given to the program as descriptors 3, 4, ...; a nil
	// entry leaves its number closed. Every other inherited descriptor
	// beyond stderr is closed at execve.
	ExtraFiles []*os.File

	// Profile is the resolved profile (see profile.Profile.Resolve). The
	// filter is compiled from it for the native ABI with Compile, unless
	// Filter is set; it also names the rule that decided a violation.
	Profile *profile.Profile
	Compile seccomp.Options
	// Filter is the compiled filter to install, if not compiled from
	// Profile.
	Filter *seccomp.Filter
	// Flags are added to the install (SECCOMP_FILTER_FLAG_LOG, ...), to
	// those of the profile's flags: LOG and SPEC_ALLOW are applied, TSYNC
	// is met by the launch itself, and a profile with listenerPath,
	// listenerMetadata or a flag that needs a seccomp agent is refused
	// (ErrFilter) rather than run without it.
	Flags seccomp.Flags

	// MemoryDenyWriteExecute denies memory that is writable and
	// executable at once, as systemd's MemoryDenyWriteExecute= does: the
	// profile gets harden.WX before it is compiled (mmap, mprotect,
	// pkey_mprotect with PROT_WRITE|PROT_EXEC, shmat with SHM_EXEC get
	// EPERM on every ABI it covers), and the program runs with
	// PR_SET_MDWE where the kernel has it (6.3+), which also refuses
	// making a mapping executable once it was writable. A Filter given
	// ready-made must deny those calls already: Start checks it does on
	// the native ABI, and refuses it (ErrFilter) if not.
	MemoryDenyWriteExecute bool

	// ExecOnce lets the program's tree call execve and execveat only
	// once: the launch itself. Both calls are notified to the launcher
	// (SECCOMP_RET_USER_NOTIF, from a filter stacked on the profile's),
	// which lets the stage's execve go on and fails every later one in
	// the tree with EPERM, reported as a TreeEvent. ExecAllow names
	// programs that may still be executed; see ExecAllow. If the
	// launcher dies, or has returned from Wait, the kernel fails the
	// calls with ENOSYS: nothing in the tree executes a program without
	// the launcher's answer.
	ExecOnce bool
	// ExecAllow, with ExecOnce, are programs the tree may execute after
	// the launch: the launcher reads the path the call names (copied
	// once from the caller's memory, then checked with
	// SECCOMP_IOCTL_NOTIF_ID_VALID), resolves it from the caller's root
	// and working directory, and lets the call go on when it names the
	// same file (device and inode) as one of these, resolved at Start.
	// The kernel then reads the path again: a program with a second
	// thread or process sharing its memory that rewrites the path in
	// between, or one that renames another file over an allowed one,
	// can execute something else (a time-of-check to time-of-use race no
	// notification can close, since the kernel never executes what the
	// launcher checked). ExecAllow narrows the race, it does not close
	// it: execveat with a descriptor (a dirfd other than AT_FDCWD, or
	// AT_EMPTY_PATH) is refused outright, since a descriptor's file can
	// change without a trace in the caller's memory. Where the program
	// runs code an attacker controls, use ExecOnce alone.
	ExecAllow []string
	// AllowOpen brokers the program's calls that name files (see
	// Broker for the list): open, the stat family, access, readlink and
	// the calls that change the file system by a path (mkdir, unlink,
	// rename, link, symlink, chmod, truncate, utimensat) of every ABI the
	// host runs are notified to the launcher, which does the call itself
	// when the file lies in one of these trees (or DefaultOpens, unless
	// NoDefaultOpens), with the access asked when the rule allows it,
	// hands the program the descriptor (SECCOMP_ADDFD_FLAG_SEND) or the
	// result; any other call gets EACCES and is reported, and the calls
	// that name a file the broker does not do are refused. See OpenRules
	// for how names resolve. Without a listener (the launcher gone) the
	// brokered calls get ENOSYS.
	AllowOpen []OpenRule
	// Broker, instead of AllowOpen, brokers the same calls with a policy
	// of the caller's (TreeEvent.Policy "broker").
	Broker         *Broker
	NoDefaultOpens bool
	// Sandbox, if set, runs the program as an untrusted job: in new
	// namespaces, with a read-only view of the file system, limits and a
	// timeout, every denial reported (see Sandbox and Report).
	Sandbox *Sandbox
	// OnEvent, if set, is called for each TreeEvent as it happens, from
	// a goroutine of the launcher; Status.Events has them all at the end.
	OnEvent func(TreeEvent)

	// DropCaps drops every capability but KeepCaps from the bounding,
	// permitted, effective and inheritable sets before the filter is
	// installed; kept ones are made ambient so they survive execve.
	DropCaps bool
	KeepCaps []string // capability names, such as CAP_NET_BIND_SERVICE

	// KernelRecord, if set, is asked after the program died of SIGSYS
	// without a siginfo the launcher saw (a KILL action): it returns the
	// kernel's seccomp record of the death of pid, if it finds one. By
	// default the launcher follows the audit records (package audit: the
	// audit netlink group with CAP_AUDIT_READ, else the rate-limited
	// /dev/kmsg with CAP_SYSLOG or kernel.dmesg_restrict=0) from before
	// the start when the filter can kill.
	KernelRecord func(pid int) (Record, bool)

	// AuditSession starts the program in an audit session of its own (the
	// stage writes its uid to /proc/self/loginuid, which needs
	// CAP_AUDIT_CONTROL or an unset login uid), so that the audit records
	// of the program and everything it starts carry a session id no other
	// process has: Session, after Start. Where the kernel refuses, the
	// program runs all the same and Session is 0.
	AuditSession bool
	// Session is the program's audit session id (ses= in its audit
	// records) with AuditSession, or 0.
	Session uint32

	// ForwardSignals passes every signal the launcher process receives
	// (ForwardedSignals) on to the program's process group, from Start
	// until the program ended, as an init process does: a supervisor or
	// a terminal that signals the launcher reaches the program. Signals
	// that come before the program runs are passed on once it runs.
	ForwardSignals bool

	// IgnoreSignals are the signals the program starts with ignored
	// (SIG_IGN). Every other signal starts with its default disposition
	// and none blocked, whatever the launcher inherited: a caller's
	// ignored SIGXFSZ would turn a file-size limit from a kill into
	// EFBIG, an ignored SIGPIPE or SIGHUP would change how the program
	// ends, a blocked signal would never reach it. systemd resets a
	// service's signals the same way (and ignores SIGPIPE by default,
	// IgnoreSIGPIPE=), as nsjail does for its jobs. The launcher cannot
	// keep what its own caller ignored: the Go runtime replaces most
	// inherited dispositions with its handlers when the launcher starts,
	// so the choice is the caller's, here (nohup's: SIGHUP).
	IgnoreSignals []syscall.Signal

	// Stage is the program that runs the stage, and must call Init; the
	// default is the running executable (os.Executable).
	Stage string

	Process *os.Process
	// Status is how the program ended, after Wait.
	Status Status

	sys *sysCmd
}

// Command returns a Cmd for name with args, under profile p.
func Command(p *profile.Profile, name string, args ...string) *Cmd {
	return &Cmd{Path: name, Args: append([]string{name}, args...), Profile: p}
}

// Record is the kernel's account of a seccomp action it took.
type Record struct {
	Arch arch.Arch // the ABI of the call
	Nr   uint32    // the system-call number
	Ret  uint32    // the filter's SECCOMP_RET_* value
	Args [6]uint64
	// HasArgs reports whether Args are known (from the registers of a
	// traced TRAP), which decides conditional rules.
	HasArgs bool
}

// Violation is a system call the filter ended the program for.
type Violation struct {
	Record
	Name   string         // the system call's name on Arch, or "" when unknown
	Action profile.Action // the filter's action
	// Rule is the index in the profile's rules of the rule that decided,
	// or profile.DecidedByDefault or profile.DecidedByBadArch; RuleKnown
	// is false when there was no profile to ask, or the decision hung on
	// arguments the record lacks.
	Rule      int
	RuleKnown bool
	RuleNames []string // the names of the deciding rule
	Source    string   // "siginfo", or what KernelRecord read
}

// String is the one-line report, such as
// "uname (63 on x86_64) got KILL_PROCESS from the profile's default action".
func (v *Violation) String() string {
	name := v.Name
	if name == "" {
		name = "system call"
	}
	s := fmt.Sprintf("%s (%d on %s) got %s", name, v.Nr, v.Arch, v.Action)
	switch {
	case !v.RuleKnown:
	case v.Rule == profile.DecidedByDefault:
		s += " from the profile's default action"
	case v.Rule == profile.DecidedByBadArch:
		s += fmt.Sprintf(" as a bad architecture: the profile does not cover %s", v.Arch)
	default:
		s += fmt.Sprintf(" from rule %d of the profile (%s)", v.Rule+1, strings.Join(v.RuleNames, ", "))
	}
	return s
}

// Status is how a program ended.
type Status struct {
	Exited bool           // it exited by itself, with Code
	Code   int            // its exit code
	Signal syscall.Signal // the signal that ended it, if not Exited
	// Violation is set when seccomp's SIGSYS ended it and the launcher
	// could prove which system call (from a siginfo the thread's
	// registers and the filter agree with, or from the kernel's record
	// of a KILL), or when the program caught the SIGSYS of a TRAP and
	// then exited. Seccomp is set when SIGSYS ended it and seccomp
	// did, or may have: always with a Violation; without one when the
	// filter can KILL, or TRAP where the launcher could not follow, and
	// nothing showed the SIGSYS came from elsewhere (kill(2), or a
	// siginfo the program forged with rt_sigqueueinfo(2)).
	Seccomp   bool
	Violation *Violation
	// Events are the seccomp kills and traps the kernel recorded in the
	// program's tree, and the calls the launcher denied (ExecOnce), in
	// the order the launcher learned of them.
	Events []TreeEvent
}

// TreeEvent is a system call of a process in the program's tree that the
// filter killed or trapped, or that the launcher denied.
//
// The launcher knows the tree by the audit session the program starts
// (Cmd.AuditSession; the kernel refuses it without CAP_AUDIT_CONTROL,
// and then only the program's own process is known) and by the
// notifications of its filter. Kill records come from the kernel's
// audit records (package audit); so do traps, which the kernel records
// only with SECCOMP_FILTER_FLAG_LOG.
type TreeEvent struct {
	PID  int    // the process (thread group id)
	Comm string // its task name, which the program chooses: see String
	Violation
	// Policy is set when the launcher, not the filter, decided: the
	// option that denied the call ("exec-once", "allow-open").
	Policy string
	// Path is the path the call named (the program of an execve, the
	// file of an open), as the launcher read it from the caller's
	// memory.
	Path string
}

// String is the one-line report, such as
// `pid 4242 sh: uname (63 on x86_64) got KILL_PROCESS from rule 2 of the profile (uname)`.
// The task name and path, chosen by the program, are quoted as Go
// quotes strings when they hold anything but printable characters
// (escape sequences, bidirectional overrides, quotes, invalid UTF-8).
func (e TreeEvent) String() string {
	s := fmt.Sprintf("pid %d %s: ", e.PID, untrusted(e.Comm))
	if e.Policy != "" {
		return s + fmt.Sprintf("%s (%d on %s) of %s got %s by %s", e.Name, e.Nr, e.Arch, untrusted(e.Path), e.Action, e.Policy)
	}
	return s + e.Violation.String()
}

// untrusted returns s fit for a terminal: as it is when every character
// is printable and none is a quote or a backslash, else quoted.
func untrusted(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || r == '"' || r == '\\' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// ExitCode is the code a shell would report: the program's own, or
// 128+N when signal N ended it (159 for SIGSYS).
func (s Status) ExitCode() int {
	if s.Exited {
		return s.Code
	}
	return 128 + int(s.Signal)
}

// String describes the end in words.
func (s Status) String() string {
	switch {
	case s.Exited && s.Violation != nil:
		return fmt.Sprintf("exit status %d after seccomp trapped %s", s.Code, s.Violation)
	case s.Exited:
		return fmt.Sprintf("exit status %d", s.Code)
	case s.Violation != nil:
		return "killed by seccomp: " + s.Violation.String()
	case s.Seccomp:
		return "killed by SIGSYS, which the filter may have sent, but no record of a seccomp kill or trap was found (the kernel's records need CAP_AUDIT_READ or CAP_SYSLOG)"
	}
	if n := unix.SignalName(s.Signal); n != "" {
		return "killed by " + n
	}
	return fmt.Sprintf("killed by signal %d", int(s.Signal))
}

// ExitError is the error of Wait and Run when the program did not exit 0.
type ExitError struct{ Status Status }

func (e *ExitError) Error() string { return e.Status.String() }

// explain completes a record into a violation with p.
// badArch is the filter's action for ABIs it does not cover.
func explain(p *profile.Profile, native arch.Arch, badArch profile.Action, r Record, source string) *Violation {
	v := &Violation{Record: r, Action: seccomp.ActionOf(r.Ret), Source: source}
	if n, ok := r.Arch.SyscallName(r.Nr); ok {
		v.Name = n
	}
	if p == nil {
		return v
	}
	ver, err := profile.Explain(p, native, profile.Data{Nr: r.Nr, Arch: r.Arch.Audit(), Args: r.Args})
	if ver.Rule == profile.DecidedByBadArch && badArch.Kind != 0 {
		ver.Action = badArch
	}
	if source == "kernel log" && v.Action.Kind == profile.ActErrno && ver.Action.Kind == profile.ActErrno && r.Ret&seccomp.SECCOMP_RET_DATA == 0 &&
		!hasConditions(p, v.Name) {
		// The kernel's record of an ERRNO has the action without its
		// data; the profile, deciding the call on no argument, has it.
		v.Action = ver.Action
	}
	if err != nil || ver.Action != v.Action {
		// The profile does not say this (an ENOSYS stub, a bad-arch
		// override, an argument the record lacks).
		return v
	}
	if !r.HasArgs && hasConditions(p, v.Name) {
		return v
	}
	v.Rule, v.RuleKnown = ver.Rule, true
	if ver.Rule >= 0 {
		v.RuleNames = p.Rules[ver.Rule].Names
	}
	return v
}

// hasConditions reports whether a rule of p for name has argument
// conditions.
func hasConditions(p *profile.Profile, name string) bool {
	for _, r := range p.Rules {
		if len(r.Conds) > 0 && slices.Contains(r.Names, name) {
			return true
		}
	}
	return false
}

// profileFlags returns the SECCOMP_FILTER_FLAG_* of p's flags as the
// launcher applies them, as runc does: TSYNC is met already (the filter
// is on the one thread that survives execve), LOG and SPEC_ALLOW are
// added to the install, where a kernel that lacks one refuses the start.
// What needs a seccomp agent (listenerPath and listenerMetadata,
// NEW_LISTENER, WAIT_KILLABLE_RECV) and TSYNC_ESRCH, which is runc's to
// refuse as well, are refused: the launcher never drops part of a
// profile.
func profileFlags(p *profile.Profile) (seccomp.Flags, error) {
	if p == nil {
		return 0, nil
	}
	if p.ListenerPath != "" || p.ListenerMetadata != "" {
		return 0, fmt.Errorf("the profile sets listenerPath %q: the launcher cannot hand the notification descriptor to a seccomp agent (remove listenerPath and listenerMetadata, or run the profile with runc and the agent)", p.ListenerPath)
	}
	var f seccomp.Flags
	for _, name := range p.Flags {
		switch name {
		case "SECCOMP_FILTER_FLAG_TSYNC":
		case "SECCOMP_FILTER_FLAG_LOG":
			f |= seccomp.SECCOMP_FILTER_FLAG_LOG
		case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
			f |= seccomp.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		case "SECCOMP_FILTER_FLAG_NEW_LISTENER", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
			return 0, fmt.Errorf("the profile's flag %s needs a notification listener and a seccomp agent, which the launcher does not provide (remove the flag)", name)
		default:
			return 0, fmt.Errorf("the profile's flag %s is not one the launcher can apply (runc applies TSYNC, LOG, SPEC_ALLOW and WAIT_KILLABLE_RECV)", name)
		}
	}
	return f, nil
}
