package audit

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/termtext"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Event is one seccomp record: a system call a filter logged or killed.
type Event struct {
	Time   time.Time // when the kernel logged it (UTC, millisecond precision); zero when the log does not say
	Serial uint64    // audit serial number of the record; 0 when unknown

	PID  int    // thread group id of the caller
	Comm string // task name (decoded)
	Exe  string // executable path (decoded), "" when unknown
	UID  uint32
	GID  uint32
	AUID uint32 // login uid, 4294967295 when unset
	Ses  uint32 // session, 4294967295 when unset
	Subj string // LSM label of the task, "" when none

	Arch      arch.Arch // ABI of the call (x32 told by the number); arch.Invalid when AuditArch is unknown
	AuditArch uint32    // AUDIT_ARCH_* value as logged
	Nr        uint32    // system-call number as the filter saw it (x32 numbers carry the x32 bit)
	Syscall   string    // name of Nr on Arch, "" when the tables do not know it
	Compat    bool      // the call went through the compat entry (x86 on x86_64, arm on aarch64, x32)
	Sig       int       // the signal the action sends (SIGSYS for KILL_*), else 0
	IP        uint64    // instruction pointer of the call
	Code      uint32    // the action the filter returned (SECCOMP_RET_*), as logged: the kernel leaves out the data (errno)
}

// Action is the action the filter returned. The kernel logs the action
// without its data, so an ERRNO action has no errno here.
func (e *Event) Action() profile.Action { return seccomp.ActionOf(e.Code &^ seccomp.SECCOMP_RET_DATA) }

// Killed reports whether the action ended the thread or process.
func (e *Event) Killed() bool {
	k := e.Action().Kind
	return k == profile.ActKillProcess || k == profile.ActKillThread
}

// Name returns the system call's name, or "syscall_N" when the tables do
// not know it.
func (e *Event) Name() string {
	if e.Syscall != "" {
		return e.Syscall
	}
	return fmt.Sprintf("syscall_%d", e.Nr)
}

// ArchName returns the ABI's name, or the raw audit value in hex when it
// is unknown.
func (e *Event) ArchName() string {
	if e.Arch != arch.Invalid {
		return e.Arch.String()
	}
	return fmt.Sprintf("%x", e.AuditArch)
}

// Line is the record in one line of text, as syscage watch prints it:
// the time (RFC 3339, "-" when the log gives none), the action, the pid,
// the task name and the executable (termtext.Quote: a name a program
// chose never reaches a terminal as control characters), the ABI and
// the system call with its number.
func (e *Event) Line() string {
	when := "-"
	if !e.Time.IsZero() {
		when = e.Time.Format(time.RFC3339Nano)
	}
	who := termtext.Quote(e.Comm)
	if e.Exe != "" {
		who += " (" + termtext.Quote(e.Exe) + ")"
	}
	return fmt.Sprintf("%s %s pid %d %s: %s %s(%d)", when, e.Action().Kind, e.PID, who, e.ArchName(), e.Name(), e.Nr)
}

// HookEnv is the environment of a program run for the record (syscage
// watch --exec): SYSCAGE_SYSCALL, SYSCAGE_PID, SYSCAGE_COMM,
// SYSCAGE_ACTION and SYSCAGE_ARCH.
func (e *Event) HookEnv() []string {
	return []string{"SYSCAGE_SYSCALL=" + e.Name(), "SYSCAGE_PID=" + strconv.Itoa(e.PID),
		"SYSCAGE_COMM=" + e.Comm, "SYSCAGE_ACTION=" + e.Action().Kind.String(), "SYSCAGE_ARCH=" + e.ArchName()}
}

// Format returns the record as auditd writes it to audit.log (without
// the ENRICHED part). ParseLine(e.Format()) gives e back, except for an
// LSM label (Subj) that holds both a double quote and a space or "=".
func (e *Event) Format() string {
	var b strings.Builder
	sec := e.Time.Unix()
	ms := e.Time.Nanosecond() / 1e6
	if e.Time.IsZero() {
		sec, ms = 0, 0
	}
	fmt.Fprintf(&b, "type=SECCOMP msg=audit(%d.%03d:%d): auid=%d uid=%d gid=%d ses=%d", sec, ms, e.Serial, e.AUID, e.UID, e.GID, e.Ses)
	if e.Subj != "" {
		// The kernel writes labels as they are; quoting keeps one with
		// "=" or a space in one value.
		subj := e.Subj
		if strings.ContainsAny(subj, " =") && !strings.Contains(subj, `"`) || strings.HasPrefix(subj, `"`) {
			subj = `"` + subj + `"`
		}
		fmt.Fprintf(&b, " subj=%s", subj)
	}
	fmt.Fprintf(&b, " pid=%d comm=%s exe=%s sig=%d arch=%x syscall=%d compat=%d ip=%#x code=%#x",
		e.PID, untrusted(e.Comm), untrusted(e.Exe), e.Sig, e.AuditArch, int64(int32(e.Nr)), b2i(e.Compat), e.IP, e.Code)
	return b.String()
}

// untrusted quotes s as the kernel's audit_log_untrustedstring does:
// plain strings in double quotes, anything else hex-encoded.
func untrusted(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c < 0x21 || c > 0x7e {
			return strings.ToUpper(hex.EncodeToString([]byte(s)))
		}
	}
	return `"` + s + `"`
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// eventJSON is the JSON form of an Event: names rather than codes, for
// hooks and scripts.
type eventJSON struct {
	Time      string `json:"time,omitempty"`
	Serial    uint64 `json:"serial,omitempty"`
	PID       int    `json:"pid"`
	Comm      string `json:"comm"`
	Exe       string `json:"exe,omitempty"`
	UID       uint32 `json:"uid"`
	GID       uint32 `json:"gid"`
	AUID      uint32 `json:"auid"`
	Ses       uint32 `json:"ses"`
	Subj      string `json:"subj,omitempty"`
	Arch      string `json:"arch"`
	AuditArch string `json:"auditArch"`
	Nr        uint32 `json:"nr"`
	Syscall   string `json:"syscall,omitempty"`
	Compat    bool   `json:"compat"`
	Sig       int    `json:"sig"`
	IP        string `json:"ip"`
	Action    string `json:"action"`
	Code      string `json:"code"`
}

// MarshalJSON encodes the event with the ABI, system call and action by
// name. Comm, Exe and Subj are text there: bytes that are not UTF-8
// become U+FFFD.
func (e Event) MarshalJSON() ([]byte, error) {
	j := eventJSON{Serial: e.Serial, PID: e.PID, Comm: e.Comm, Exe: e.Exe, UID: e.UID, GID: e.GID,
		AUID: e.AUID, Ses: e.Ses, Subj: e.Subj, Arch: e.ArchName(), AuditArch: fmt.Sprintf("%08x", e.AuditArch),
		Nr: e.Nr, Syscall: e.Syscall, Compat: e.Compat, Sig: e.Sig, IP: fmt.Sprintf("%#x", e.IP),
		Action: e.Action().Kind.String(), Code: fmt.Sprintf("0x%08x", e.Code)}
	if !e.Time.IsZero() {
		j.Time = e.Time.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (e *Event) UnmarshalJSON(data []byte) error {
	var j eventJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	var ev Event
	if j.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, j.Time)
		if err != nil {
			return fmt.Errorf("time: %w", err)
		}
		ev.Time = t.UTC()
	}
	aa, err := strconv.ParseUint(j.AuditArch, 16, 32)
	if err != nil {
		return fmt.Errorf("auditArch %q: %w", j.AuditArch, err)
	}
	ip, err := strconv.ParseUint(j.IP, 0, 64)
	if err != nil {
		return fmt.Errorf("ip %q: %w", j.IP, err)
	}
	code, err := strconv.ParseUint(j.Code, 0, 32)
	if err != nil {
		return fmt.Errorf("code %q: %w", j.Code, err)
	}
	ev.Serial, ev.PID, ev.Comm, ev.Exe, ev.UID, ev.GID, ev.AUID, ev.Ses, ev.Subj = j.Serial, j.PID, j.Comm, j.Exe, j.UID, j.GID, j.AUID, j.Ses, j.Subj
	ev.AuditArch, ev.Nr, ev.Compat, ev.Sig, ev.IP, ev.Code = uint32(aa), j.Nr, j.Compat, j.Sig, ip, uint32(code)
	ev.resolve()
	*e = ev
	return nil
}

// resolve sets Arch and Syscall from AuditArch and Nr.
func (e *Event) resolve() {
	e.Arch, e.Syscall = arch.Invalid, ""
	if a, ok := arch.FromAuditNr(e.AuditArch, e.Nr); ok {
		e.Arch = a
		e.Syscall, _ = a.SyscallName(e.Nr)
	}
}
