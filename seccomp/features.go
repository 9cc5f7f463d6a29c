package seccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/syscage/syscage/internal/unix"
)

// Features describes what the running kernel and host offer for seccomp,
// in the spirit of `runc features`. Probe fills it in without installing a
// filter. The JSON form keeps the order of the fields below.
type Features struct {
	// Kernel and Machine are the release and machine uname(2) reports.
	Kernel  string `json:"kernel"`
	Machine string `json:"machine"`
	// Arch is the host's native ABI in syscage's spelling ("" when
	// syscage does not know Machine). Compat lists the other ABIs a
	// kernel of that architecture can run, each with whether this one
	// does.
	Arch   string   `json:"arch"`
	Compat []Compat `json:"compat"`

	// Seccomp tells whether the kernel has seccomp at all
	// (CONFIG_SECCOMP): prctl(PR_GET_SECCOMP) answers.
	Seccomp bool `json:"seccomp"`
	// FilterSupported tells whether seccomp(2) offers
	// SECCOMP_SET_MODE_FILTER (CONFIG_SECCOMP_FILTER): with a NULL
	// program it fails with EFAULT rather than EINVAL.
	FilterSupported bool `json:"filterSupported"`
	// Mode is the seccomp mode of the probing thread (SECCOMP_MODE_*),
	// Filters the number of filters it runs under (Seccomp_filters in
	// /proc/thread-self/status; -1 before Linux 5.9, which added it), and
	// NoNewPrivs its no_new_privs bit.
	Mode       int  `json:"mode"`
	Filters    int  `json:"filters"`
	NoNewPrivs bool `json:"noNewPrivs"`

	// ActionsAvail and ActionsLogged are the words of
	// /proc/sys/kernel/seccomp/actions_avail and actions_logged, nil when
	// they cannot be read.
	ActionsAvail  []string `json:"actionsAvail"`
	ActionsLogged []string `json:"actionsLogged"`
	// Actions tells for each action, by its actions_avail name in the
	// kernel's order, whether SECCOMP_GET_ACTION_AVAIL confirms it. It is
	// empty when the kernel cannot be asked (before Linux 4.14).
	Actions Support `json:"actions"`
	// Flags tells for each SECCOMP_FILTER_FLAG_*, in bit order, whether
	// the kernel accepts it. It is empty when seccomp(2) cannot be called.
	Flags Support `json:"flags"`
	// NotifSizes are the sizes of the user-notification structures, nil
	// before Linux 5.0.
	NotifSizes *NotifSizes `json:"notifSizes"`
	// ActionCache tells whether the kernel has the seccomp action cache
	// (Linux 5.11), which answers the system calls a filter allows
	// whatever their arguments without running the filter.
	ActionCache Detection `json:"actionCache"`
	// Notes explain probes that could not be made or gave an unexpected
	// answer.
	Notes []string `json:"notes,omitempty"`
}

// HasFlag reports whether the kernel accepts every flag of fl.
func (f *Features) HasFlag(fl Flags) bool {
	for _, n := range flagNames {
		if fl&n.f != 0 {
			if !f.Flags.Has(n.name) {
				return false
			}
			fl &^= n.f
		}
	}
	return fl == 0
}

// NotifSizes is struct seccomp_notif_sizes.
type NotifSizes struct {
	Notif     int `json:"seccompNotif"`
	NotifResp int `json:"seccompNotifResp"`
	Data      int `json:"seccompData"`
}

// Compat is a compat ABI of the host and whether this kernel runs it.
type Compat struct {
	Arch string `json:"arch"`
	Detection
}

// Detection is a yes, no or unknown answer and how it was reached.
type Detection struct {
	Supported *bool  `json:"supported"` // nil: could not be determined
	Source    string `json:"source"`
}

// String returns "yes", "no" or "unknown", followed by the source in
// parentheses.
func (d Detection) String() string {
	s := "unknown"
	if d.Supported != nil {
		s = "no"
		if *d.Supported {
			s = "yes"
		}
	}
	if d.Source != "" {
		s += " (" + d.Source + ")"
	}
	return s
}

func detected(ok bool, format string, a ...any) Detection {
	return Detection{Supported: &ok, Source: fmt.Sprintf(format, a...)}
}

func undetermined(format string, a ...any) Detection {
	return Detection{Source: fmt.Sprintf(format, a...)}
}

// Support lists named features, in an order that means something (the
// kernel's), with whether each is there. Its JSON form is an object with
// the names as keys, in that order.
type Support []Supported

// Supported is one entry of a Support list.
type Supported struct {
	Name      string
	Supported bool
}

// Has reports whether name is listed and supported.
func (s Support) Has(name string) bool {
	for _, x := range s {
		if x.Name == name {
			return x.Supported
		}
	}
	return false
}

// MarshalJSON writes s as an object, in its order.
func (s Support) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(x.Name)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatBool(x.Supported))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of booleans, keeping its order.
func (s *Support) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("support list: want an object of booleans")
	}
	out := Support{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var ok bool
		if err := dec.Decode(&ok); err != nil {
			return fmt.Errorf("support list: %q: %w", t, err)
		}
		out = append(out, Supported{Name: t.(string), Supported: ok})
	}
	*s = out
	return nil
}

// actionNames lists the actions by their actions_avail names, in the
// kernel's order (kernel/seccomp.c, seccomp_actions_avail).
var actionNames = []struct {
	ret  uint32
	name string
}{
	{SECCOMP_RET_KILL_PROCESS, "kill_process"},
	{SECCOMP_RET_KILL_THREAD, "kill_thread"},
	{SECCOMP_RET_TRAP, "trap"},
	{SECCOMP_RET_ERRNO, "errno"},
	{SECCOMP_RET_USER_NOTIF, "user_notif"},
	{SECCOMP_RET_TRACE, "trace"},
	{SECCOMP_RET_LOG, "log"},
	{SECCOMP_RET_ALLOW, "allow"},
}

// KernelRelease returns the running kernel's release, as uname -r
// prints it, or "" when it cannot be read (not Linux).
func KernelRelease() string {
	rel, _, err := unix.Uname()
	if err != nil {
		return ""
	}
	return rel
}
