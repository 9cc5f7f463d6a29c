package launch

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// The supervisor: what the launcher does while the program runs, beside
// waiting for it. It follows the kernel's seccomp records of the
// program's tree (treeFollow) and answers the notifications of the exec
// filter (superviseExec); both report TreeEvents through events.

// events collects the TreeEvents of a run.
type events struct {
	mu      sync.Mutex
	list    []TreeEvent
	changed chan struct{} // a value when list grew
	notify  func(TreeEvent)
}

func newEvents(notify func(TreeEvent)) *events {
	return &events{changed: make(chan struct{}, 1), notify: notify}
}

func (ev *events) add(e TreeEvent) {
	ev.mu.Lock()
	ev.list = append(ev.list, e)
	ev.mu.Unlock()
	select {
	case ev.changed <- struct{}{}:
	default:
	}
	if ev.notify != nil {
		ev.notify(e)
	}
}

func (ev *events) snapshot() []TreeEvent {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return slices.Clone(ev.list)
}

// find waits at most timeout for an event that match accepts.
func (ev *events) find(match func(TreeEvent) bool, timeout time.Duration) (TreeEvent, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		for _, e := range ev.snapshot() {
			if match(e) {
				return e, true
			}
		}
		select {
		case <-ev.changed:
		case <-deadline.C:
			return TreeEvent{}, false
		}
	}
}

// settle waits until no event came for quiet, at most max.
func (ev *events) settle(quiet, max time.Duration) {
	end := time.After(max)
	for {
		select {
		case <-ev.changed:
		case <-time.After(quiet):
			return
		case <-end:
			return
		}
	}
}

// treeFollow reads the kernel's seccomp records until the follower is
// closed and reports the kills and traps of the program's tree: records
// of the program's own process, or of its audit session.
func (s *sysCmd) treeFollow(pid int, session uint32) {
	defer close(s.followDone)
	for {
		e, err := s.kmsg.Next()
		var se *audit.SyntaxError
		var ue *audit.UntrustedError
		switch {
		case errors.As(err, &se), errors.As(err, &ue):
			continue
		case err != nil:
			return
		}
		k := e.Action().Kind
		if k != profile.ActKillProcess && k != profile.ActKillThread && k != profile.ActTrap && (!s.allDenials || k != profile.ActErrno) {
			continue
		}
		if e.PID != pid && (session == 0 || e.Ses != session) {
			continue
		}
		if e.Arch == arch.Invalid {
			continue
		}
		v := explain(s.profile, s.native, s.badArch, Record{Arch: e.Arch, Nr: e.Nr, Ret: e.Code}, "kernel log")
		s.events.add(TreeEvent{PID: e.PID, Comm: e.Comm, Violation: *v})
	}
}

// execNotifyProgram is the filter stacked on the profile's with
// ExecOnce: execve and execveat of every ABI the native one runs are
// notified, everything else is allowed (the profile's filter decides).
// Where the profile's filter denies execve, its denial wins: the kernel
// takes the most severe action of all filters, and USER_NOTIF is less
// severe than ERRNO, TRAP and KILL.
func execNotifyProgram(native arch.Arch) (bpf.Program, error) {
	return notifyProgram(native, []string{"execve", "execveat"})
}

// notifyProgram notifies the calls names of every ABI the native one
// runs, and allows everything else.
func notifyProgram(native arch.Arch, names []string) (bpf.Program, error) {
	byAudit := map[uint32][]uint32{}
	var audits []uint32
	for _, a := range append([]arch.Arch{native}, native.Compat()...) {
		for _, name := range names {
			nr, ok := a.SyscallNumber(name)
			if !ok {
				continue
			}
			if _, seen := byAudit[a.Audit()]; !seen {
				audits = append(audits, a.Audit())
			}
			byAudit[a.Audit()] = append(byAudit[a.Audit()], nr)
		}
	}
	if len(byAudit[native.Audit()]) == 0 {
		return nil, fmt.Errorf("%s has none of %s", native, strings.Join(names, ", "))
	}
	// For each audit arch: ld arch; jeq arch, 0, skip; its block: ld nr;
	// jeq each → NOTIF; ret ALLOW; NOTIF: ret USER_NOTIF. Then ret ALLOW.
	// Every jump stays within one ABI's block, so no list of names
	// makes one longer than a conditional jump reaches (255).
	const (
		ldW  = bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS
		jeq  = bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K
		retK = bpf.BPF_RET | bpf.BPF_K
	)
	var p bpf.Program
	for _, au := range audits {
		nrs := byAudit[au]
		if len(nrs) > 250 {
			return nil, errors.New("notify filter: too many calls for one ABI")
		}
		block := len(nrs) + 3 // ld nr, the jeqs, ret ALLOW, ret NOTIF
		p = append(p, bpf.Instruction{Op: ldW, K: bpf.OffsetArch}, bpf.Instruction{Op: jeq, Jf: uint8(block), K: au})
		p = append(p, bpf.Instruction{Op: ldW, K: bpf.OffsetNr})
		for i, nr := range nrs {
			p = append(p, bpf.Instruction{Op: jeq, Jt: uint8(len(nrs) - i), K: nr})
		}
		p = append(p, bpf.Instruction{Op: retK, K: seccomp.SECCOMP_RET_ALLOW}, bpf.Instruction{Op: retK, K: seccomp.SECCOMP_RET_USER_NOTIF})
	}
	p = append(p, bpf.Instruction{Op: retK, K: seccomp.SECCOMP_RET_ALLOW})
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("exec filter: %w", err)
	}
	return p, nil
}

// fileID identifies a file.
type fileID struct{ dev, ino uint64 }

func statID(p string) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return fileID{}, err
	}
	return fileID{uint64(st.Dev), st.Ino}, nil
}

// execAllowIDs resolves ExecAllow.
func execAllowIDs(paths []string) (map[fileID]string, error) {
	ids := map[fileID]string{}
	for _, p := range paths {
		id, err := statID(p)
		if err != nil {
			return nil, fmt.Errorf("exec-allow %s: %w", p, err)
		}
		ids[id] = p
	}
	return ids, nil
}

// superviseExec answers the notifications of the exec filter on
// listener fd until the program ended: the first execve of the stage
// (pid stage) goes on, every other call is denied unless ExecAllow
// allows it. When it returns it closes fd; from then on the kernel fails
// the tree's execve and execveat with ENOSYS.
func (s *sysCmd) superviseExec(fd, stage int, once bool, allow map[fileID]string, broker *Broker, policy string) {
	defer close(s.execDone)
	defer unix.Close(fd)
	// The launcher answers each call at once: a synchronous wake-up
	// saves the program a wake-up of the launcher on another CPU and
	// back (Linux 6.6; elsewhere nothing changes).
	unix.NotifSyncWakeup(fd)
	launched := false
	for {
		select {
		case <-s.ended:
			return
		default:
		}
		ready, hup, err := unix.PollIn(fd, 100)
		if err != nil || hup {
			return
		}
		if !ready {
			continue
		}
		n, err := unix.NotifRecv(fd)
		if err != nil {
			continue // ENOENT: the caller is gone; EINTR
		}
		a, _ := arch.FromAuditNr(n.Arch, uint32(n.Nr))
		name, _ := a.SyscallName(uint32(n.Nr))
		isExec := name == "execve" || name == "execveat"
		if !launched && int(n.PID) == stage {
			// The stage's own calls, up to and including the execve
			// that starts the program (its install check opens
			// /proc/thread-self/status): the launcher's code, which
			// the program does not run yet.
			launched = isExec
			unix.NotifContinue(fd, n.ID)
			continue
		}
		switch {
		case isExec && once:
			s.decideExec(fd, n, allow)
		case isExec:
			// Exec is not restricted: a decision on no argument.
			unix.NotifContinue(fd, n.ID)
		case broker != nil && brokered[name]:
			if ev := broker.serve(fd, n, a, s.native, name, policy); ev != nil {
				s.events.add(*ev)
			}
		default:
			unix.NotifError(fd, n.ID, syscall.ENOSYS)
		}
	}
}

// decideExec answers one notified execve or execveat.
func (s *sysCmd) decideExec(fd int, n unix.Notif, allow map[fileID]string) {
	tid := int(n.PID)
	a, ok := arch.FromAuditNr(n.Arch, uint32(n.Nr))
	name := ""
	if ok {
		name, _ = a.SyscallName(uint32(n.Nr))
	}
	pathArg := n.Args[0]
	if name == "execveat" {
		pathArg = n.Args[1]
	}
	// Copied once; every decision and report below uses this copy.
	file, readOK := unix.ReadString(tid, pathArg, 4096)
	comm, tgid := taskInfo(tid)
	if !unix.NotifIDValid(fd, n.ID) {
		// The call is gone (the task was killed or interrupted), and
		// what was read may be another task's: no answer, no report.
		return
	}
	if readOK && len(allow) > 0 && (name == "execve" || name == "execveat") {
		if ok, _ := s.execAllowed(tid, n, name, file, allow); ok {
			if unix.NotifContinue(fd, n.ID) == nil {
				return
			}
		}
	}
	unix.NotifError(fd, n.ID, unix.EPERM)
	if tgid == 0 {
		tgid = tid
	}
	if name == "" {
		name = "system call"
	}
	v := Violation{Record: Record{Arch: a, Nr: uint32(n.Nr), Ret: seccomp.SECCOMP_RET_ERRNO | uint32(syscall.EPERM), Args: n.Args, HasArgs: true},
		Name: name, Action: profile.Action{Kind: profile.ActErrno, Data: uint16(syscall.EPERM)}, Source: "notification"}
	if !readOK {
		file = "(unreadable)"
	}
	s.events.add(TreeEvent{PID: tgid, Comm: comm, Violation: v, Policy: "exec-once", Path: file})
}

// execAllowed reports whether the call names a file of allow, resolved
// from the caller's root and working directory.
func (s *sysCmd) execAllowed(tid int, n unix.Notif, name, file string, allow map[fileID]string) (bool, string) {
	const atFDCWD, atEmptyPath = -100, 0x1000
	if name == "execveat" && (int32(n.Args[0]) != atFDCWD || n.Args[4]&atEmptyPath != 0) {
		return false, "execveat with a descriptor"
	}
	if file == "" {
		return false, "empty path"
	}
	base := "/proc/" + strconv.Itoa(tid) + "/cwd"
	if strings.HasPrefix(file, "/") {
		base = "/proc/" + strconv.Itoa(tid) + "/root"
	}
	id, err := statID(path.Join(base, file))
	if err != nil {
		return false, err.Error()
	}
	p, ok := allow[id]
	return ok, p
}

// taskInfo returns the task name and thread group id of task tid, read
// from its status as the broker reads a caller's (parseStatus).
func taskInfo(tid int) (comm string, tgid int) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return "", 0
	}
	tgid, comm = parseStatus(b, &callerState{})
	return comm, tgid
}

// unescapeStatusName undoes the escaping of /proc/PID/status's Name
// (the kernel writes "\n" as `\n` and a backslash as `\\`).
func unescapeStatusName(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(s)
}
