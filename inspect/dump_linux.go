package inspect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/unix"
)

// Dump returns the seccomp filters process pid runs under, oldest first,
// as the kernel holds them (PTRACE_SECCOMP_GET_FILTER). It stops the
// process for the time it takes. The caller needs CAP_SYS_ADMIN and
// ptrace access to pid, and must itself run without a filter. A process
// that does not stop within o.Timeout gives an error wrapping
// ErrNotStopped that names the state it is in; it is left running.
func Dump(pid int, o DumpOptions) ([]Filter, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("dump pid %d: not a process id", pid)
	}
	mode, err := seccompMode(pid)
	if err != nil {
		return nil, err
	}
	if mode == 0 {
		return nil, fmt.Errorf("dump pid %d: %w: the process runs unfiltered", pid, ErrNoFilter)
	}
	if mode == 1 {
		return nil, fmt.Errorf("dump pid %d: the process runs in seccomp strict mode, which has no filter", pid)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	live, err := unix.SeccompFilters(pid, o.Timeout)
	switch {
	case errors.Is(err, unix.ErrNotStopped):
		return nil, fmt.Errorf("dump pid %d: %w within %v to have its filters read: %s", pid, ErrNotStopped, o.Timeout, taskState(pid))
	case errors.Is(err, unix.ESRCH):
		return nil, fmt.Errorf("dump pid %d: no such process", pid)
	case errors.Is(err, unix.EPERM):
		return nil, fmt.Errorf("dump pid %d: %w (reading filters needs CAP_SYS_ADMIN and the right to ptrace the process: root, and no other tracer attached)", pid, err)
	case errors.Is(err, unix.EACCES):
		return nil, fmt.Errorf("dump pid %d: %w (syscage runs under a seccomp filter itself or lacks CAP_SYS_ADMIN; the kernel refuses both)", pid, err)
	case errors.Is(err, unix.EINVAL):
		return nil, fmt.Errorf("dump pid %d: %w: the kernel says the process has no filter", pid, ErrNoFilter)
	case errors.Is(err, unix.ENOSYS):
		return nil, fmt.Errorf("dump pid %d: %w (the kernel lacks PTRACE_SECCOMP_GET_FILTER: CONFIG_CHECKPOINT_RESTORE)", pid, ErrNotSupported)
	case err != nil:
		return nil, fmt.Errorf("dump pid %d: %w", pid, err)
	}
	out := make([]Filter, len(live))
	for i, f := range live {
		p := make(bpf.Program, len(f.Prog))
		for j, ins := range f.Prog {
			p[j] = bpf.Instruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
		}
		out[i] = Filter{Index: i, Program: p, Log: f.Flags&2 != 0} // SECCOMP_FILTER_FLAG_LOG
	}
	return out, nil
}

// seccompMode reads the Seccomp: line of /proc/PID/status.
func seccompMode(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("dump pid %d: no such process", pid)
	}
	if err != nil {
		return 0, fmt.Errorf("dump pid %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Seccomp:"); ok {
			var m int
			if _, err := fmt.Sscan(strings.TrimSpace(v), &m); err == nil {
				return m, nil
			}
		}
	}
	return 0, fmt.Errorf("dump pid %d: %w (no Seccomp: line in /proc/%d/status: a kernel without CONFIG_SECCOMP)", pid, ErrNotSupported, pid)
}

// DumpTasks returns the filters of every thread of process pid, the
// thread group leader first. Threads may differ: a thread that installed
// a filter without SECCOMP_FILTER_FLAG_TSYNC has its own. A thread that
// ends while it is read is left out; one that does not stop in time has
// its Err set.
func DumpTasks(pid int, o DumpOptions) ([]Task, error) {
	lead, err := Dump(pid, o)
	var lerr error
	switch {
	case errors.Is(err, ErrNotStopped):
		lerr = err
	case err != nil && !errors.Is(err, ErrNoFilter):
		return nil, err
	}
	out := []Task{{TID: pid, Filters: lead, Err: lerr}}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("dump pid %d: %w", pid, err)
	}
	for _, e := range ents {
		var tid int
		if _, err := fmt.Sscan(e.Name(), &tid); err != nil || tid == pid {
			continue
		}
		fs, err := Dump(tid, o)
		switch {
		case errors.Is(err, ErrNoFilter):
			fs = nil
		case errors.Is(err, ErrNotStopped):
			out = append(out, Task{TID: tid, Err: err})
			continue
		case err != nil && strings.Contains(err.Error(), "no such process"):
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, Task{TID: tid, Filters: fs})
	}
	return out, nil
}

// taskState says what thread tid is doing, from /proc/TID/stat and
// /proc/TID/wchan: "state D (uninterruptible sleep) in
// wait_for_vfork_done: a vfork parent, waiting for its child to exec or
// exit".
func taskState(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", tid))
	if err != nil {
		return fmt.Sprintf("its state is unknown (%v)", err)
	}
	// "TID (COMM) S ...": the name may hold anything, ")" too.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return "its state is unknown (/proc/" + strconv.Itoa(tid) + "/stat unreadable)"
	}
	st := b[i+2]
	s := fmt.Sprintf("state %c", st)
	if name, ok := stateNames[st]; ok {
		s += " (" + name + ")"
	}
	// wchan names the kernel function it waits in (root only).
	if w, err := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", tid)); err == nil && isSymbol(string(w)) {
		s += " in " + string(w)
		// kernel_clone sleeps uninterruptibly only for vfork
		// (wait_for_vfork_done, often inlined into it).
		if string(w) == "wait_for_vfork_done" || string(w) == "kernel_clone" && st == 'D' {
			s += ": a vfork parent, waiting for its child to exec or exit"
		}
	}
	return s
}

var stateNames = map[byte]string{
	'R': "running", 'S': "sleeping", 'D': "uninterruptible sleep", 'T': "stopped",
	't': "stopped by a tracer", 'X': "dead", 'Z': "zombie", 'P': "parked", 'I': "idle",
}

func isSymbol(s string) bool {
	if s == "" || s == "0" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
