package launch

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

// The helpers below map a launcher's command-line options (syscage run's
// --allow-open, --env, --keep-fd) to a Cmd.

// ParseOpenRule reads an open-broker rule: an absolute PATH, optionally
// followed by :ro (the default: read-only) or :rw.
func ParseOpenRule(spec string) (OpenRule, error) {
	p, mode, _ := strings.Cut(spec, ":")
	if mode != "" && mode != "ro" && mode != "rw" || !strings.HasPrefix(p, "/") {
		return OpenRule{}, fmt.Errorf("%q: want an absolute PATH, optionally with :ro or :rw", spec)
	}
	return OpenRule{Path: p, Write: mode == "rw"}, nil
}

// SetEnv returns env with kv (K=V) set, replacing an earlier K.
func SetEnv(env []string, kv string) ([]string, error) {
	k, _, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return env, fmt.Errorf("%q: want K=V", kv)
	}
	out := env[:0:0]
	for _, x := range env {
		if xk, _, _ := strings.Cut(x, "="); xk != k {
			out = append(out, x)
		}
	}
	return append(out, kv), nil
}

// KeepFD passes descriptor fd, which this process inherited (Inherited),
// on to the program as the same number. Descriptors 0, 1 and 2 are always
// passed on.
func (c *Cmd) KeepFD(fd int) error {
	if fd < 3 {
		return nil
	}
	f, err := Inherited(fd)
	if err != nil {
		return err
	}
	for len(c.ExtraFiles) <= fd-3 {
		c.ExtraFiles = append(c.ExtraFiles, nil)
	}
	c.ExtraFiles[fd-3] = f
	return nil
}

// CrashSignal reports whether a program that sig ended crashed (SIGSEGV,
// SIGBUS, SIGABRT, SIGILL, SIGFPE) rather than was told to end: a program
// that crashes when a call it needs fails (ld.so on an mmap) gives no
// other hint that its filter denied the call.
func CrashSignal(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGABRT, syscall.SIGILL, syscall.SIGFPE:
		return true
	}
	return false
}

// Options are a launch as syscage run's flags describe it: Check refuses
// what does not go together, Caps is the capability set the profile is
// read for (CapSet), Prepare adds what the launch adds to the profile, and Apply
// sets a Cmd. Their errors are *errs.OptionError (OptionError) naming the
// options as the flags spell them: --keep-fd (KeepFDs), --clear-env,
// --env, --drop-caps, --all-caps, --cap (Caps), --log, --harden,
// --memory-deny-write-execute (WX), --exec-once, --exec-allow,
// --allow-open, --no-default-opens, --sandbox, --rw, --limit, --timeout,
// --report, --ignore-signal and --complain.
type Options struct {
	// KeepFDs are inherited descriptors passed on (Cmd.KeepFD).
	KeepFDs []int
	// Environ is the environment the program starts from unless
	// ClearEnv or Sandbox (nil: the launcher's own, as Cmd.Env; give
	// os.Environ() with Env); Env are K=V set in it.
	Environ  []string
	ClearEnv bool
	Env      []string
	// DropCaps drops every capability but Caps; AllCaps keeps every one
	// and reads the profile for all. Caps nil means not given.
	DropCaps, AllCaps bool
	Caps              []string
	// Log installs with SECCOMP_FILTER_FLAG_LOG.
	Log bool
	// Harden hardens the profile (harden.Profile); Outside adds the
	// rules of Docker's default profile for a program outside a
	// container (harden.OutsideContainer); WX denies memory writable and
	// executable at once (Cmd.MemoryDenyWriteExecute).
	Harden, Outside, WX bool
	// Complain runs the program under the profile Complain makes (its
	// denials, and other ABIs, become LOG); see Compile.
	Complain  bool
	ExecOnce  bool
	ExecAllow []string
	// AllowOpen are open-broker rules, PATH[:ro|rw] (ParseOpenRule).
	AllowOpen      []string
	NoDefaultOpens bool
	// Sandbox runs the program as an untrusted job, with the writable
	// trees RW, the limits Limits (ParseLimits) and Timeout; Report is
	// where the caller writes its Report (only checked here).
	Sandbox bool
	RW      []string
	Limits  string
	Timeout time.Duration
	Report  string
	// IgnoreSignals are names or numbers of signals the program starts
	// with ignored.
	IgnoreSignals []string
}

// OptionError is a launch asked for with options that do not go
// together or hold a bad value; it is errs.OptionError.
type OptionError = errs.OptionError

// Check refuses options that do not go together.
func (o *Options) Check() error {
	switch {
	case o.AllCaps && (o.DropCaps || o.Caps != nil):
		return errs.Optionf("--all-caps keeps every capability: drop --drop-caps and --cap")
	case !o.Sandbox && (len(o.RW) > 0 || o.Limits != "" || o.Timeout != 0 || o.Report != ""):
		return errs.Optionf("--rw, --limit, --timeout and --report need --sandbox")
	case o.Sandbox && len(o.KeepFDs) > 0:
		return errs.Optionf("--sandbox closes every descriptor but 0-2: drop --keep-fd")
	case o.Sandbox && (o.AllCaps || o.Caps != nil):
		return errs.Optionf("--sandbox runs CMD without capabilities: drop --all-caps and --cap")
	case len(o.ExecAllow) > 0 && !o.ExecOnce:
		return errs.Optionf("--exec-allow needs --exec-once")
	}
	return nil
}

// CapSet returns the capability set the program keeps and the profile is
// read for: every one with AllCaps; Caps when given; none with DropCaps
// or Sandbox; else Docker's default set, as in a container.
func (o *Options) CapSet() []string {
	switch {
	case o.AllCaps:
		return CapNames()
	case o.Caps != nil:
		return o.Caps
	case o.DropCaps || o.Sandbox:
		return []string{}
	}
	return oci.DefaultCaps
}

// Prepare returns p (resolved for host) with what the launch adds to it
// (Harden, Outside, WX), and names each addition as the flags spell it,
// with how to leave it out.
func (o *Options) Prepare(p *profile.Profile, host arch.Arch) (*profile.Profile, []string, error) {
	var added []string
	var err error
	if o.Harden {
		added = append(added, "--harden (--harden=false leaves it out)")
		if p, _, err = harden.Profile(p, host); err != nil {
			return nil, nil, err
		}
	}
	if o.Outside {
		// Docker's default profile is written for a container's PID
		// namespace; the program shares the caller's.
		added = append(added, "the default profile's rules for a program outside a container (-p docker-default leaves them out)")
		if p, _, err = harden.OutsideContainer(p); err != nil {
			return nil, nil, err
		}
	}
	if o.WX {
		added = append(added, "--memory-deny-write-execute")
		if p, _, err = harden.WX(p, host); err != nil {
			return nil, nil, err
		}
	}
	return p, added, nil
}

// Compile compiles p, which Prepare returned, for host with so: with
// Complain, the profile Complain makes of it, with LOG for other ABIs.
// It returns the profile the filter enforces, for Cmd.Profile.
func (o *Options) Compile(p *profile.Profile, host arch.Arch, so seccomp.Options) (*profile.Profile, *seccomp.Filter, error) {
	if o.Complain {
		p = Complain(p)
		so.BadArch = profile.Action{Kind: profile.ActLog}
	}
	f, err := seccomp.Compile(p, host, so)
	return p, f, err
}

// Apply sets c from o (Check first).
func (o *Options) Apply(c *Cmd) error {
	if o.Log {
		c.Flags |= seccomp.SECCOMP_FILTER_FLAG_LOG
	}
	caps := o.CapSet()
	c.DropCaps, c.KeepCaps = !o.AllCaps, caps
	c.MemoryDenyWriteExecute = o.WX
	c.ExecOnce, c.ExecAllow = o.ExecOnce, o.ExecAllow
	for _, spec := range o.AllowOpen {
		r, err := ParseOpenRule(spec)
		if err != nil {
			return errs.Optionf("--allow-open %v", err)
		}
		c.AllowOpen = append(c.AllowOpen, r)
	}
	c.NoDefaultOpens = o.NoDefaultOpens
	for _, s := range o.IgnoreSignals {
		sig, err := unix.ParseSignal(s)
		if err == nil && (sig == syscall.SIGKILL || sig == syscall.SIGSTOP) {
			err = fmt.Errorf("%s cannot be ignored", unix.SignalString(sig))
		}
		if err != nil {
			return errs.Optionf("--ignore-signal %v", err)
		}
		c.IgnoreSignals = append(c.IgnoreSignals, sig)
	}
	for _, name := range caps {
		if _, err := ParseCap(name); err != nil {
			return errs.Optionf("--cap: %v", err)
		}
	}
	c.Env = slices.Clone(o.Environ)
	if o.ClearEnv {
		c.Env = []string{}
	}
	if o.Sandbox {
		limits, err := ParseLimits(o.Limits)
		if err != nil {
			return errs.Optionf("--limit: %v", err)
		}
		c.Sandbox = &Sandbox{RW: o.RW, Limits: limits, Timeout: o.Timeout}
		c.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
		c.DropCaps, c.KeepCaps = true, nil
	}
	for _, kv := range o.Env {
		var err error
		if c.Env, err = SetEnv(c.Env, kv); err != nil {
			return errs.Optionf("--env %v", err)
		}
	}
	for _, fd := range o.KeepFDs {
		// Only what this process inherited: its own descriptors (the Go
		// runtime's, opened at start) are not the caller's to hand on.
		if err := c.KeepFD(fd); err != nil {
			return errs.Optionf("--keep-fd %d: %v", fd, err)
		}
	}
	return nil
}
