package launch

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/syscage/syscage/profile"
)

// Sandbox runs the program as an untrusted job (Cmd.Sandbox), as nsjail
// and bubblewrap do, under the launcher's filter and supervision:
//
//   - new user, mount, pid, network, ipc and uts namespaces: pid 1 of
//     the new pid namespace is a minimal init, of which the program is
//     the child (not pid 1, which the kernel spares every signal it does
//     not catch: SIGXFSZ, SIGPIPE, a SIGTERM sent from inside); the init
//     passes on every signal it catches, reaps orphans, and ends with
//     the program, its status the program's (and then the kernel kills
//     everything the program started), sees no network but a loopback of its own,
//     no System V IPC or host name of the host's;
//   - as root, the program runs as the host's nobody (65534, mapped to
//     itself), so that no file, device or process of root is its own;
//     run unprivileged, the launcher's own user is mapped to root of the
//     namespace and the program runs as that user;
//   - the file system read-only and nosuid (mount_setattr, recursively)
//     but for RW, which must be writable by the program's user, a
//     private tmpfs on /tmp, and a /proc of its pid namespace;
//   - Limits as resource limits, Timeout as a wall-clock limit;
//   - with the rest of Cmd: every descriptor but 0-2 closed, no
//     capabilities, no_new_privs, the filter; Env is the caller's to make
//     clean (the CLI gives a minimal one).
//
// Every denial of the filter is reported: the filter is installed with
// SECCOMP_FILTER_FLAG_LOG and the launcher follows the kernel's records
// of the program's audit session (or, where the kernel refuses a new
// session, of its own process) for ERRNO as well as kills and traps;
// the kernel rate-limits them when no audit daemon reads them.
// Cmd.Report has the outcome.
//
// The program must be found, and readable and executable by its user,
// in the sandbox's view: not under /tmp (the private one hides it)
// unless under RW.
type Sandbox struct {
	RW       []string // absolute paths that stay writable
	Limits   Limits
	Timeout  time.Duration // 0: none
	Hostname string        // "" for "sandbox"
}

// Limits are resource limits (setrlimit(2)), soft and hard alike; a zero
// field sets none.
type Limits struct {
	CPU    uint64 // seconds of CPU time (RLIMIT_CPU)
	AS     uint64 // bytes of address space (RLIMIT_AS)
	NProc  uint64 // processes of the program's user (RLIMIT_NPROC)
	FSize  uint64 // bytes a file may grow to (RLIMIT_FSIZE)
	NoFile uint64 // descriptors (RLIMIT_NOFILE)
}

// ParseLimits parses a limit list as "cpu=10,as=512M,nproc=64,fsize=1G,nofile=256":
// CPU in seconds (or a duration such as 1m), sizes in bytes with an
// optional K, M or G (powers of 1024).
func ParseLimits(s string) (Limits, error) {
	var l Limits
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return l, fmt.Errorf("limit %q: want NAME=VALUE", kv)
		}
		var n uint64
		var err error
		switch k {
		case "cpu":
			if d, derr := time.ParseDuration(v); derr == nil {
				n = uint64(d / time.Second)
			} else {
				n, err = strconv.ParseUint(v, 10, 64)
			}
		case "as", "fsize":
			n, err = parseSize(v)
		case "nproc", "nofile":
			n, err = strconv.ParseUint(v, 10, 64)
		default:
			return l, fmt.Errorf("limit %q: unknown (want cpu, as, nproc, fsize or nofile)", k)
		}
		if err != nil {
			return l, fmt.Errorf("limit %s=%s: %w", k, v, err)
		}
		if n == 0 {
			return l, fmt.Errorf("limit %s=%s: must be at least 1 (of seconds, bytes or a count)", k, v)
		}
		switch k {
		case "cpu":
			l.CPU = n
		case "as":
			l.AS = n
		case "fsize":
			l.FSize = n
		case "nproc":
			l.NProc = n
		case "nofile":
			l.NoFile = n
		}
	}
	return l, nil
}

func parseSize(v string) (uint64, error) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(v, "K"):
		mult, v = 1<<10, strings.TrimSuffix(v, "K")
	case strings.HasSuffix(v, "M"):
		mult, v = 1<<20, strings.TrimSuffix(v, "M")
	case strings.HasSuffix(v, "G"):
		mult, v = 1<<30, strings.TrimSuffix(v, "G")
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, err
	}
	if n > ^uint64(0)/mult {
		return 0, fmt.Errorf("%s: too large", v)
	}
	return n * mult, nil
}

// Report is the account of a run, as JSON: how it ended, what it used,
// and every denial in its tree.
type Report struct {
	Exited   bool   `json:"exited"`
	Code     int    `json:"code"`             // the exit code, with Exited
	Signal   string `json:"signal,omitempty"` // the signal that ended it, such as "SIGKILL"
	ExitCode int    `json:"exit_code"`        // as a shell reports it: Code, or 128+N
	TimedOut bool   `json:"timed_out"`        // the launcher killed it at Sandbox.Timeout
	// Seccomp is the one-line report of a seccomp kill or trap that
	// ended it.
	Seccomp string `json:"seccomp,omitempty"`

	WallSeconds   float64 `json:"wall_seconds"`
	UserSeconds   float64 `json:"user_seconds"` // of the program and the children it waited for
	SystemSeconds float64 `json:"system_seconds"`
	MaxRSSKiB     int64   `json:"max_rss_kib"`

	Denials []Denial `json:"denials"`
}

// Denial is a TreeEvent in a Report.
type Denial struct {
	PID    int    `json:"pid"`
	Comm   string `json:"comm"`
	Call   string `json:"call"`
	Nr     uint32 `json:"nr"`
	Arch   string `json:"arch"`
	Action string `json:"action"`
	// Rule is the profile's rule that decided ("default" for its
	// default action), when known.
	Rule   string `json:"rule,omitempty"`
	Policy string `json:"policy,omitempty"` // the launcher's option that denied it
	Path   string `json:"path,omitempty"`
	Text   string `json:"text"` // TreeEvent.String
}

// denial makes e a Denial.
func denial(e TreeEvent) Denial {
	d := Denial{PID: e.PID, Comm: e.Comm, Call: e.Name, Nr: e.Nr, Arch: e.Arch.String(), Action: e.Action.String(), Policy: e.Policy, Path: e.Path, Text: e.String()}
	switch {
	case !e.RuleKnown:
	case e.Rule == profile.DecidedByDefault:
		d.Rule = "default"
	case e.Rule == profile.DecidedByBadArch:
		d.Rule = "bad architecture"
	default:
		d.Rule = fmt.Sprintf("%d (%s)", e.Rule+1, strings.Join(e.RuleNames, ", "))
	}
	return d
}
