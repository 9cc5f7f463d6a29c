package profile

import (
	"fmt"
	"strconv"
	"strings"
)

// ActionKind is what a seccomp filter does with a system call, in the
// kernel's terms (SECCOMP_RET_*).
type ActionKind uint8

// The actions, from the most to the least severe.
const (
	ActKillProcess ActionKind = iota + 1 // SCMP_ACT_KILL_PROCESS
	ActKillThread                        // SCMP_ACT_KILL / SCMP_ACT_KILL_THREAD
	ActTrap                              // SCMP_ACT_TRAP
	ActErrno                             // SCMP_ACT_ERRNO
	ActUserNotif                         // SCMP_ACT_NOTIFY
	ActTrace                             // SCMP_ACT_TRACE
	ActLog                               // SCMP_ACT_LOG
	ActAllow                             // SCMP_ACT_ALLOW
)

var kindNames = [...]string{
	ActKillProcess: "KILL_PROCESS",
	ActKillThread:  "KILL_THREAD",
	ActTrap:        "TRAP",
	ActErrno:       "ERRNO",
	ActUserNotif:   "USER_NOTIF",
	ActTrace:       "TRACE",
	ActLog:         "LOG",
	ActAllow:       "ALLOW",
}

// scmpNames are the SCMP_ACT_* suffixes libseccomp, runc and Docker use.
var scmpNames = [...]string{
	ActKillProcess: "KILL_PROCESS",
	ActKillThread:  "KILL_THREAD",
	ActTrap:        "TRAP",
	ActErrno:       "ERRNO",
	ActUserNotif:   "NOTIFY",
	ActTrace:       "TRACE",
	ActLog:         "LOG",
	ActAllow:       "ALLOW",
}

func (k ActionKind) valid() bool { return k >= ActKillProcess && k <= ActAllow }

// String returns the kernel's name of the action without its prefix,
// such as "KILL_THREAD" or "USER_NOTIF".
func (k ActionKind) String() string {
	if !k.valid() {
		return fmt.Sprintf("ActionKind(%d)", uint8(k))
	}
	return kindNames[k]
}

// SCMP returns the SCMP_ACT_* token of the action as OCI profiles spell
// it, such as "SCMP_ACT_KILL_THREAD" or "SCMP_ACT_NOTIFY".
func (k ActionKind) SCMP() string {
	if !k.valid() {
		return fmt.Sprintf("ActionKind(%d)", uint8(k))
	}
	return "SCMP_ACT_" + scmpNames[k]
}

// HasData reports whether the action carries a 16-bit value: the errno of
// ERRNO, the message of TRACE.
func (k ActionKind) HasData() bool { return k == ActErrno || k == ActTrace }

// Action is a seccomp action with its data.
type Action struct {
	Kind ActionKind
	Data uint16 // errno for ActErrno, message for ActTrace; 0 otherwise
}

// EPERM is the errno runc gives SCMP_ACT_ERRNO and the message it gives
// SCMP_ACT_TRACE when a profile does not set errnoRet.
const EPERM = 1

// MaxErrno bounds the errno of an ERRNO action: libseccomp accepts
// SCMP_ACT_ERRNO(n) only for n < MaxErrno (sys_chk_seccomp_action).
const MaxErrno = 4095

// DefaultBadArch is the action for system calls of an ABI the filter does
// not cover: libseccomp's default SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL,
// which runc does not change.
var DefaultBadArch = Action{Kind: ActKillThread}

// String returns the action as "ALLOW", "ERRNO(1)", "TRACE(7)",
// "KILL_PROCESS" and so on.
func (a Action) String() string {
	if a.Kind.HasData() {
		return fmt.Sprintf("%s(%d)", a.Kind, a.Data)
	}
	if a.Data != 0 {
		return fmt.Sprintf("%s(%d)", a.Kind, a.Data)
	}
	return a.Kind.String()
}

// ParseAction reads an action in any of the spellings in use: the
// SCMP_ACT_* tokens of libseccomp, OCI and Docker ("SCMP_ACT_ERRNO",
// "SCMP_ACT_KILL"), the kernel's SECCOMP_RET_* names, the short names
// String prints ("ERRNO(13)", "KILL_THREAD", "NOTIFY", "USER_NOTIF"), in
// any case. ERRNO and TRACE take their value in parentheses; without it
// they mean EPERM, as in runc. KILL means KILL_THREAD.
func ParseAction(s string) (Action, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	var data string
	hasData := false
	if i := strings.IndexByte(t, '('); i >= 0 && strings.HasSuffix(t, ")") {
		t, data, hasData = strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+1:len(t)-1]), true
	}
	t = strings.TrimPrefix(t, "SCMP_ACT_")
	t = strings.TrimPrefix(t, "SECCOMP_RET_")
	var k ActionKind
	switch t {
	case "KILL", "KILL_THREAD":
		k = ActKillThread
	case "KILL_PROCESS":
		k = ActKillProcess
	case "TRAP":
		k = ActTrap
	case "ERRNO":
		k = ActErrno
	case "NOTIFY", "USER_NOTIF":
		k = ActUserNotif
	case "TRACE":
		k = ActTrace
	case "LOG":
		k = ActLog
	case "ALLOW":
		k = ActAllow
	default:
		return Action{}, fmt.Errorf("%w: unknown action %q (want one of %s)", ErrInvalid, s, strings.Join(ActionNames(), ", "))
	}
	a := Action{Kind: k}
	if !hasData {
		if k.HasData() {
			a.Data = EPERM
		}
		return a, nil
	}
	if !k.HasData() {
		return Action{}, fmt.Errorf("%w: action %s takes no value", ErrInvalid, k)
	}
	n, err := strconv.ParseUint(data, 0, 16)
	if err != nil {
		return Action{}, fmt.Errorf("%w: value of %s must be a number 0..65535, not %q", ErrInvalid, k, data)
	}
	a.Data = uint16(n)
	return a, nil
}

// TokenAction returns the kind of action an SCMP_ACT_* token of an OCI,
// Docker or SeccompProfile file names, spelled exactly as runc accepts it
// (libcontainer/seccomp config.go; see ActionNames). SCMP_ACT_KILL is
// KILL_THREAD. ERRNO and TRACE take their value from errnoRet.
func TokenAction(token string) (ActionKind, bool) {
	k, ok := tokenActions[token]
	return k, ok
}

var tokenActions = map[string]ActionKind{
	"SCMP_ACT_KILL":         ActKillThread,
	"SCMP_ACT_KILL_THREAD":  ActKillThread,
	"SCMP_ACT_KILL_PROCESS": ActKillProcess,
	"SCMP_ACT_TRAP":         ActTrap,
	"SCMP_ACT_ERRNO":        ActErrno,
	"SCMP_ACT_TRACE":        ActTrace,
	"SCMP_ACT_ALLOW":        ActAllow,
	"SCMP_ACT_LOG":          ActLog,
	"SCMP_ACT_NOTIFY":       ActUserNotif,
}

// ActionNames returns the SCMP_ACT_* tokens OCI profiles accept, in the
// order runc lists them.
func ActionNames() []string {
	return []string{
		"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
		"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
	}
}

// validate reports an action libseccomp would refuse.
func (a Action) validate() error {
	if !a.Kind.valid() {
		return fmt.Errorf("%w: invalid action kind %d", ErrInvalid, a.Kind)
	}
	if !a.Kind.HasData() && a.Data != 0 {
		return fmt.Errorf("%w: action %s carries no value, got %d", ErrInvalid, a.Kind, a.Data)
	}
	if a.Kind == ActErrno && a.Data >= MaxErrno {
		return fmt.Errorf("%w: errno %d out of range 0..%d (libseccomp refuses SCMP_ACT_ERRNO(n) for n >= %d)", ErrInvalid, a.Data, MaxErrno-1, MaxErrno)
	}
	return nil
}

// Stricter returns the more restrictive of two actions: the one the
// kernel ranks first (KILL_PROCESS before KILL_THREAD before TRAP before
// ERRNO before USER_NOTIF before TRACE before LOG before ALLOW), and of
// two ERRNO or TRACE actions the first.
func Stricter(a, b Action) Action {
	if b.Kind < a.Kind {
		return b
	}
	return a
}

// Permits reports whether the action lets the system call run: ALLOW,
// or LOG, which allows it and logs it.
func (a Action) Permits() bool { return a.Kind == ActAllow || a.Kind == ActLog }
