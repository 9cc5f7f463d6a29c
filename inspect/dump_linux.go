package inspect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/unix"
)

// Dump returns the seccomp filters process pid runs under, oldest first,
// as the kernel holds them (PTRACE_SECCOMP_GET_FILTER): those of its
// thread group leader, thread pid. It stops the thread for the time it
// takes. The caller needs CAP_SYS_ADMIN and ptrace access to pid, and
// must itself run without a filter. A thread that does not stop within
// o.Timeout gives an error wrapping ErrNotStopped that names the state
// it is in (it is left running as it was), one that has ended an error
// wrapping ErrExited (a leader that ended while its other threads run
// too: DumpTasks reads those).
func Dump(pid int, o DumpOptions) ([]Filter, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("dump pid %d: not a process id", pid)
	}
	d := dumper{pid: pid, timeout: o.timeout()}
	mode, err := seccompMode(pid, pid)
	if err != nil {
		return nil, d.fail(pid, err)
	}
	if exited(pid) {
		return nil, d.fail(pid, ErrExited)
	}
	switch mode {
	case 0:
		return nil, d.fail(pid, ErrNoFilter)
	case 1:
		return nil, d.fail(pid, errStrict)
	}
	r := seccompFiltersOf([]int{pid}, d.timeout)[0]
	if r.Err != nil {
		return nil, d.fail(pid, r.Err)
	}
	return filters(r.Filters), nil
}

func (o DumpOptions) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

var errStrict = errors.New("the thread runs in seccomp strict mode, which has no filter")

// dumper words the errors of reading the threads of process pid.
type dumper struct {
	pid     int
	timeout time.Duration
}

// fail says why the filters of thread tid cannot be read, from the
// error of reading them and the thread's state.
func (d dumper) fail(tid int, err error) error {
	who := fmt.Sprintf("dump pid %d", d.pid)
	if tid != d.pid {
		who = fmt.Sprintf("dump thread %d of pid %d", tid, d.pid)
	}
	switch {
	case errors.Is(err, ErrNoFilter):
		return fmt.Errorf("%s: %w: the process runs unfiltered", who, ErrNoFilter)
	case errors.Is(err, ErrExited) || errors.Is(err, unix.EPERM) && exited(tid):
		// ptrace refuses a zombie with EPERM.
		return fmt.Errorf("%s: %w: %s", who, ErrExited, taskState(tid))
	case errors.Is(err, unix.ErrNotStopped):
		return fmt.Errorf("%s: %w within %v to have its filters read: %s", who, ErrNotStopped, d.timeout, taskState(tid))
	case errors.Is(err, unix.ESRCH) || errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: no such process", who)
	case errors.Is(err, unix.EPERM):
		if t := tracer(tid); t != "" {
			return fmt.Errorf("%s: %w: it is traced by %s, and a thread has one tracer at a time", who, err, t)
		}
		return fmt.Errorf("%s: %w (reading filters needs CAP_SYS_ADMIN and the right to ptrace the process: root, and no other tracer attached)", who, err)
	case errors.Is(err, unix.EACCES):
		return fmt.Errorf("%s: %w (syscage runs under a seccomp filter itself or lacks CAP_SYS_ADMIN; the kernel refuses both)", who, err)
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("%s: %w: the kernel says the process has no filter", who, ErrNoFilter)
	case errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("%s: %w (the kernel lacks PTRACE_SECCOMP_GET_FILTER: CONFIG_CHECKPOINT_RESTORE)", who, ErrNotSupported)
	case errors.Is(err, unix.EMEDIUMTYPE):
		return fmt.Errorf("%s: %w: a filter is not classic BPF", who, ErrNotSupported)
	}
	return fmt.Errorf("%s: %w", who, err)
}

// ours reports an error that every thread would give alike: it is the
// caller's (privileges, its own filter) or the kernel's.
func ours(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSYS) || errors.Is(err, ErrNotSupported)
}

func filters(live []unix.LiveFilter) []Filter {
	out := make([]Filter, len(live))
	for i, f := range live {
		p := make(bpf.Program, len(f.Prog))
		for j, ins := range f.Prog {
			p[j] = bpf.Instruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
		}
		out[i] = Filter{Index: i, Program: p, Log: f.Flags&2 != 0} // SECCOMP_FILTER_FLAG_LOG
	}
	return out
}

// seccompMode reads the Seccomp: line of /proc/PID/task/TID/status.
func seccompMode(pid, tid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid))
	if err != nil {
		return 0, err
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
	return 0, fmt.Errorf("%w (no Seccomp: line in /proc/%d/status: a kernel without CONFIG_SECCOMP)", ErrNotSupported, tid)
}

// DumpTasks returns the filters of every thread of process pid, the
// thread group leader first. Threads may differ: a thread that installed
// a filter without SECCOMP_FILTER_FLAG_TSYNC has its own. All threads
// are stopped and read together, each released as soon as it is read;
// o.Timeout bounds the wait for all of them. A thread that has ended (a
// zombie, such as a leader that called pthread_exit while its other
// threads run, or one that ends while it is read) is left out: it runs
// no more system calls. A thread whose filters cannot be read (it does
// not stop in time, another tracer holds it) has its Err set, naming its
// state, and the others are still read. The error is for what no
// thread can escape: no such process, one that has wholly exited, a
// caller without the privileges or a kernel without the feature.
func DumpTasks(pid int, o DumpOptions) ([]Task, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("dump pid %d: not a process id", pid)
	}
	d := dumper{pid: pid, timeout: o.timeout()}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if errors.Is(err, os.ErrNotExist) {
		return nil, d.fail(pid, err)
	}
	if err != nil {
		return nil, fmt.Errorf("dump pid %d: %w", pid, err)
	}
	tids := []int{pid}
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil && tid != pid {
			tids = append(tids, tid)
		}
	}
	var out []Task
	var read []int
	for _, tid := range tids {
		mode, err := seccompMode(pid, tid)
		switch {
		case errors.Is(err, os.ErrNotExist) || err == nil && exited(tid):
			continue // ended, or not a thread of pid (the leader has gone)
		case err != nil:
			return nil, d.fail(tid, err)
		case mode == 0:
			out = append(out, Task{TID: tid})
		case mode == 1:
			out = append(out, Task{TID: tid, Err: d.fail(tid, errStrict)})
		default:
			out = append(out, Task{TID: tid})
			read = append(read, tid)
		}
	}
	res := seccompFiltersOf(read, d.timeout)
	kept := out[:0]
	for _, t := range out {
		if i := slices.IndexFunc(res, func(r unix.TaskFilters) bool { return r.TID == t.TID }); i >= 0 {
			r := res[i]
			switch {
			case r.Err == nil:
				t.Filters = filters(r.Filters)
			case errors.Is(r.Err, unix.ESRCH) || errors.Is(r.Err, unix.ECHILD) || errors.Is(r.Err, unix.EPERM) && exited(t.TID):
				continue // it ended meanwhile
			default:
				t.Err = d.fail(t.TID, r.Err)
				if ours(t.Err) {
					return nil, t.Err
				}
			}
		}
		kept = append(kept, t)
	}
	if len(kept) == 0 {
		if exited(pid) {
			return nil, d.fail(pid, ErrExited)
		}
		return nil, d.fail(pid, unix.ESRCH)
	}
	return kept, nil
}

// exited reports whether thread tid is a zombie or dead ("Z", "X" in
// /proc/TID/stat).
func exited(tid int) bool {
	st, ok := stateOf(tid)
	return ok && (st == 'Z' || st == 'X' || st == 'x')
}

// stateOf reads the state letter of /proc/TID/stat.
func stateOf(tid int) (byte, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", tid))
	if err != nil {
		return 0, false
	}
	// "TID (COMM) S ...": the name may hold anything, ")" too.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, false
	}
	return b[i+2], true
}

// tracer names the tracer of thread tid ("pid 42 (strace)"), or "".
func tracer(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n == 0 {
				return ""
			}
			s := fmt.Sprintf("pid %d", n)
			if c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", n)); err == nil {
				s += fmt.Sprintf(" (%s)", strings.TrimSpace(string(c)))
			}
			return s
		}
	}
	return ""
}

// taskState says what thread tid is doing, from /proc/TID/stat and
// /proc/TID/wchan: "state D (uninterruptible sleep) in
// wait_for_vfork_done: a vfork parent, waiting for its child to exec or
// exit".
func taskState(tid int) string {
	st, ok := stateOf(tid)
	if !ok {
		return fmt.Sprintf("its state is unknown (/proc/%d/stat unreadable)", tid)
	}
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
	if f := frozen(tid); f != "" {
		s += ": " + f
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

// frozen says which freezer holds thread tid, or "". A task frozen by
// the cgroup v1 freezer sleeps uninterruptibly (its wchan may name
// where it slept before) and never stops for a tracer until thawed; one
// in a frozen cgroup v2 leaves the freezer's trap for a tracer's stop.
func frozen(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", tid))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			for _, mnt := range cgroupMounts("cgroup2", "") {
				dir := filepath.Join(mnt, parts[2])
				if ev, err := os.ReadFile(filepath.Join(dir, "cgroup.events")); err == nil && slices.Contains(strings.Split(string(ev), "\n"), "frozen 1") {
					return "in a frozen cgroup v2 (" + dir + ")"
				}
			}
			continue
		}
		if !slices.Contains(strings.Split(parts[1], ","), "freezer") {
			continue
		}
		for _, mnt := range cgroupMounts("cgroup", "freezer") {
			dir := filepath.Join(mnt, parts[2])
			if st, err := os.ReadFile(filepath.Join(dir, "freezer.state")); err == nil {
				if s := strings.TrimSpace(string(st)); s == "FROZEN" || s == "FREEZING" {
					return fmt.Sprintf("frozen by the cgroup v1 freezer (%s/freezer.state is %s); it stops once thawed", dir, s)
				}
			}
		}
	}
	return ""
}

// cgroupMounts returns where cgroup file systems of type fstype are
// mounted (from /proc/self/mountinfo), with option opt if not "", the
// mounts of a hierarchy's root only.
func cgroupMounts(fstype, opt string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(l, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 || g[0] != fstype || f[3] != "/" {
			continue
		}
		if opt != "" && !slices.Contains(strings.Split(g[2], ","), opt) {
			continue
		}
		out = append(out, f[4])
	}
	return out
}

// seccompFiltersOf reads the seccomp filters of the tasks tids with
// unix.ReadSeccompFilters, from one thread of its own, as ptrace
// requires. A task it could not detach is released by the end of that
// thread: the goroutine returns still locked, the runtime ends the
// thread, and the kernel detaches every task it traced; seccompFiltersOf
// returns once it has done so, so that nothing is left seized or stopped
// and the caller can trace the tasks again.
func seccompFiltersOf(tids []int, timeout time.Duration) []unix.TaskFilters {
	type result struct {
		out    []unix.TaskFilters
		tracer int
		held   []int // tasks still traced when the tracer ended
	}
	if len(tids) == 0 {
		return nil
	}
	done := make(chan result, 1)
	var trace func(locked chan struct{})
	trace = func(locked chan struct{}) {
		runtime.LockOSThread()
		if locked != nil {
			close(locked)
		}
		if unix.OnMainThread() {
			// The runtime never ends the main thread (it parks it
			// instead): trace from another, which the new goroutine
			// gets while this one holds the main thread.
			locked := make(chan struct{})
			go trace(locked)
			<-locked
			runtime.UnlockOSThread()
			return
		}
		out, held := unix.ReadSeccompFilters(tids, timeout)
		if len(held) == 0 {
			runtime.UnlockOSThread()
		}
		// Otherwise the thread ends with this goroutine, still locked.
		done <- result{out, unix.Gettid(), held}
	}
	go trace(nil)
	r := <-done
	// The thread ends just after the goroutine: wait (briefly: it is the
	// runtime's next step) until the kernel has released the tasks.
	for i := 0; i < 400 && slices.ContainsFunc(r.held, func(tid int) bool { return unix.TracerOf(tid) == r.tracer }); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	return r.out
}
