//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/record"
)

// AttachPID records the system calls of the running process pid and of
// its descendants: those alive when the recording starts and those they
// start from then on, until all of them have ended or ctx ends (the
// processes go on; the recording is not Partial for that). Calls made
// before the recording started are not in it. Options.Args is as for
// Run and OnRecording is called once the tree is followed; the other
// options are for programs Run starts and are ignored.
// The Result's ExitCode is 0: the processes are not the caller's
// children. A pid that has ended (also one not yet reaped) is an error.
//
// How: once the programs are attached (so that forks from then on join
// the tgid map in the kernel), pid and then every process whose parent is
// in the map, from /proc, enter the map, until a pass over /proc finds no
// new one. Each process entered holds a pidfd: a process that ended
// before the kernel could see it end (before it entered the map) is taken
// out of the map, and of the count of the tree, when its pidfd says so.
// The recorder sleeps until the kernel reports an end: the exit program
// writes to a ring buffer when a member ends, and a pidfd becomes
// readable when its process has ended.
func AttachPID(ctx context.Context, pid int, o record.Options) (*record.Result, error) {
	if err := checkPID(pid); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	e, err := start(config{args: o.Args}, "record")
	if err != nil {
		return nil, err
	}
	defer e.close()
	t, err := followPID(ctx, e, pid)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer t.close()
	if o.OnRecording != nil {
		o.OnRecording()
	}
	if _, err := t.wait(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return e.result()
}

// checkPID rejects what cannot be a running process.
func checkPID(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("pid %d: not a process id", pid)
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pid %d: no such process", pid)
	}
	return nil
}

// pidTree follows a running process tree in the engine's members bitmap
// (see AttachPID) and waits for its end.
type pidTree struct {
	e  *engine
	w  *waiter
	rd *ringbuf.Reader
	// entered are the processes put in the map here and not yet seen to
	// end, by pidfd; count is how many of those the kernel sees end
	// (its exit program counts the end of those it saw start, which are
	// not among them).
	entered map[int]uint32
	count   int64
}

// followPID enters process pid and its descendants into e's tree; the
// tree's end, or ctx's, ends wait.
func followPID(ctx context.Context, e *engine, pid int) (_ *pidTree, err error) {
	w, err := newWaiter(ctx)
	if err != nil {
		return nil, err
	}
	t := &pidTree{e: e, w: w, entered: map[int]uint32{}}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	if t.rd, err = ringbuf.NewReader(e.ring); err != nil {
		return nil, fmt.Errorf("read the ring buffer: %w", err)
	}
	t.rd.SetDeadline(time.Unix(1, 0)) // reads never block: the waiter waits
	if err := w.add(e.ring.FD()); err != nil {
		return nil, err
	}
	if err := t.enter(uint32(pid)); err != nil {
		return nil, err
	}
	if len(t.entered) == 0 {
		return nil, fmt.Errorf("pid %d: no such process", pid)
	}
	// A process that has ended but is not reaped yet has a pidfd, which
	// is readable at once; the kernel did not see it end as a member.
	for fd := range t.entered {
		if ready, _, _ := unix.PollIn(fd, 0); ready && t.ended(fd) {
			return nil, fmt.Errorf("pid %d: the process has ended (it is not reaped yet): nothing to follow", pid)
		}
	}
	for {
		added := false
		parents, err := parentsOf()
		if err != nil {
			return nil, err
		}
		in := map[uint32]bool{}
		for _, m := range e.members() {
			in[m] = true
		}
		for child, parent := range parents {
			if in[parent] && !in[child] {
				if err := t.enter(child); err != nil {
					return nil, err
				}
				added = true
			}
		}
		if !added {
			return t, nil
		}
	}
}

// enter makes tgid a member, holding its pidfd.
func (t *pidTree) enter(tgid uint32) error {
	fd, err := unix.PidfdOpen(int(tgid))
	if err != nil {
		return nil // ended already
	}
	if !t.e.enter(tgid) {
		syscall.Close(fd) // a fork the kernel saw
		return nil
	}
	t.entered[fd] = tgid
	t.count++
	return t.w.add(fd)
}

// ended takes the process of pidfd fd, which has ended, out of the
// tree: it reports whether it did not run as a member (the kernel did
// not see it end: it had ended before it entered).
func (t *pidTree) ended(fd int) bool {
	tgid := t.entered[fd]
	before := t.e.leave(tgid)
	if before {
		t.count--
	}
	t.w.remove(fd)
	syscall.Close(fd)
	delete(t.entered, fd)
	return before
}

// wait sleeps until the kernel reports an end, and returns once every
// process of the tree has ended (true) or the context has (false).
func (t *pidTree) wait() (bool, error) {
	for int64(t.e.stat(statLive))+t.count > 0 {
		ready, done, err := t.w.wait()
		if err != nil {
			return false, err
		}
		if done {
			return false, nil
		}
		for _, fd := range ready {
			if fd == t.e.ring.FD() {
				for {
					if _, err := t.rd.Read(); err != nil {
						break
					}
				}
				continue
			}
			// Ended: the kernel took it out of the map and the
			// count, unless it ended before it entered.
			t.ended(fd)
		}
	}
	return true, nil
}

func (t *pidTree) close() {
	for fd := range t.entered {
		syscall.Close(fd)
	}
	t.entered = nil
	if t.rd != nil {
		t.rd.Close()
	}
	t.w.close()
}

// result is the Result of a recording of processes that are not the
// caller's children.
func (e *engine) result() (*record.Result, error) {
	rec, err := e.recording()
	if err != nil {
		return nil, err
	}
	return &record.Result{Recording: rec, Hook: e.hook}, nil
}

// parentsOf returns the parent of every process, from /proc.
func parentsOf() (map[uint32]uint32, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[uint32]uint32{}
	for _, ent := range ents {
		pid, err := strconv.ParseUint(ent.Name(), 10, 32)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + ent.Name() + "/stat")
		if err != nil {
			continue // ended
		}
		// pid (comm) state ppid ...: comm may hold spaces and parens.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			continue
		}
		out[uint32(pid)] = uint32(ppid)
	}
	return out, nil
}

// AttachCgroup records the system calls of every task of the cgroup v2
// directory path and of the cgroups below it, from now until ctx ends or
// the cgroup, once it had a task since the recording started, has none
// left (the root cgroup, never empty: until ctx ends). Options.Args is as for Run; OnRecording is called once the
// programs are attached, and OnWaiting then if the cgroup has no task
// yet; the other options are ignored. The Result's ExitCode is 0.
//
// On a hybrid layout (cgroup v1 controllers beside a cgroup v2 file
// system, often at /sys/fs/cgroup/unified) path is a directory of the
// cgroup v2 file system: every task is in a cgroup there too. A cgroup v1
// directory is an error that says where the v2 file system is.
//
// How: the cgroup is the only entry of a cgroup array map, and the
// sys_enter program counts the calls of a task under it
// (bpf_current_task_under_cgroup), in the kernel: a task in the cgroup
// for a single call is recorded. No tree is followed, so a task that
// moves out of the cgroup is no longer recorded and one that moves in
// is. The kernel marks the cgroup seen at the first call of one of its
// tasks, when one ends in it, or when one moves into it or below it
// (cgroup_attach_task: a task that never makes a call there); the
// recorder sleeps until the kernel reports a change of cgroup.events
// (inotify: the kernel notifies each change of "populated"), and ends
// once populated is 0 and the cgroup was seen.
func AttachCgroup(ctx context.Context, path string, o record.Options) (*record.Result, error) {
	dir, err := openCgroup(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer dir.Close()
	e, err := start(config{mode: byCgroup, args: o.Args, cgroup: dir}, "record")
	if err != nil {
		return nil, err
	}
	defer e.close()
	t, err := followCgroup(ctx, e, path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer t.close()
	if o.OnRecording != nil {
		o.OnRecording()
	}
	if t.empty() && o.OnWaiting != nil {
		o.OnWaiting()
	}
	if _, err := t.wait(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return e.result()
}

// openCgroup opens the cgroup v2 directory path.
func openCgroup(path string) (*os.File, error) {
	dir, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	if err := checkCgroup2(dir, path); err != nil {
		dir.Close()
		return nil, err
	}
	return dir, nil
}

// cgroupTree waits for the end of the tasks of a cgroup (see
// AttachCgroup).
type cgroupTree struct {
	e            *engine
	w            *waiter
	path, events string
	// in is the inotify descriptor that watches events.
	in int
	// root: the root cgroup, which has no cgroup.events and never ends;
	// seen: a task was in the cgroup since the counting started; done:
	// and the cgroup is empty now.
	root, seen, done bool
}

// followCgroup watches cgroup.events of the cgroup e counts, path, and
// reads its state. The watch is set before the state is first read, and
// both before followCgroup returns: a task that joins and leaves at any
// time after that changes cgroup.events and wakes wait.
func followCgroup(ctx context.Context, e *engine, path string) (_ *cgroupTree, err error) {
	w, err := newWaiter(ctx)
	if err != nil {
		return nil, err
	}
	t := &cgroupTree{e: e, w: w, path: path, events: filepath.Join(path, "cgroup.events"), in: -1}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	if t.in, err = syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC); err != nil {
		return nil, fmt.Errorf("cgroup %s: inotify: %w", path, err)
	}
	// The root cgroup has no cgroup.events: it is never empty, and only
	// ctx ends its recording.
	if _, err := syscall.InotifyAddWatch(t.in, t.events, syscall.IN_MODIFY|syscall.IN_DELETE_SELF); errors.Is(err, syscall.ENOENT) && isRootCgroup(path) {
		t.root = true
	} else if err != nil {
		return nil, fmt.Errorf("cgroup %s: watch %s: %w", path, t.events, err)
	}
	if err := w.add(t.in); err != nil {
		return nil, err
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// empty reports whether the cgroup has had no task yet, and has none.
func (t *cgroupTree) empty() bool { return !t.done && !t.seen && !t.root }

// check sets t.done when it is over: the cgroup is empty, and a task
// was in it since the counting started.
func (t *cgroupTree) check() error {
	if t.root {
		return nil
	}
	// The kernel's mark is read first: a task that joins after the read
	// of populated changes cgroup.events, and wakes the recorder again.
	t.seen = t.seen || t.e.stat(statSeen) != 0
	populated, err := cgroupPopulated(t.events)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if t.seen {
			t.done = true
			return nil
		}
		return fmt.Errorf("cgroup %s was removed before a task of it was seen", t.path)
	case err != nil:
		return fmt.Errorf("cgroup %s: %w", t.path, err)
	case populated:
		t.seen = true
		return nil
	}
	t.done = t.seen
	return nil
}

// wait sleeps until the kernel reports a change of cgroup.events, and
// returns once the cgroup has ended (true) or the context has (false).
func (t *cgroupTree) wait() (bool, error) {
	buf := make([]byte, 4096)
	for !t.done {
		_, end, err := t.w.wait()
		if err != nil {
			return false, err
		}
		if end {
			return false, nil
		}
		for {
			if n, err := syscall.Read(t.in, buf); n <= 0 || err != nil {
				break
			}
		}
		if err := t.check(); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (t *cgroupTree) close() {
	if t.in >= 0 {
		syscall.Close(t.in)
	}
	t.w.close()
}

// isRootCgroup reports whether path is the root of a cgroup v2 file
// system (it has cgroup.procs but no cgroup.events).
func isRootCgroup(path string) bool {
	_, err := os.Stat(filepath.Join(path, "cgroup.procs"))
	return err == nil
}

// Magic numbers of statfs(2).
const (
	cgroup2Magic = 0x63677270 // CGROUP2_SUPER_MAGIC
	cgroupMagic  = 0x27e0eb   // CGROUP_SUPER_MAGIC (v1)
)

// checkCgroup2 checks that dir is a directory of the cgroup v2 file
// system; of a cgroup v1 one, it says where v2 is mounted.
func checkCgroup2(dir *os.File, path string) error {
	st, err := dir.Stat()
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("cgroup %s: not a directory of the cgroup v2 file system (a cgroup is a directory)", path)
	}
	var fs syscall.Statfs_t
	if err := syscall.Fstatfs(int(dir.Fd()), &fs); err != nil {
		return fmt.Errorf("cgroup %s: %w", path, err)
	}
	switch fs.Type {
	case cgroup2Magic:
		return nil
	case cgroupMagic:
		where := "no cgroup v2 file system is mounted here (mount -t cgroup2 none DIR)"
		if m := cgroup2Mount(); m != "" {
			where = "the cgroup v2 file system is mounted at " + m + ": give the task's cgroup there (its 0:: line in /proc/PID/cgroup)"
		}
		return fmt.Errorf("cgroup %s: a cgroup v1 directory: the eBPF engine selects tasks by their cgroup v2 hierarchy; %s", path, where)
	}
	return fmt.Errorf("cgroup %s: not a directory of the cgroup v2 file system", path)
}

// cgroup2Mount returns where the cgroup v2 file system is mounted, or "".
func cgroup2Mount() string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[2] == "cgroup2" {
			return f[1]
		}
	}
	return ""
}

// cgroupPopulated reads the cgroup.events file events: whether a task is
// in the cgroup or below.
func cgroupPopulated(events string) (bool, error) {
	b, err := os.ReadFile(events)
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "populated "); ok {
			return v == "1", nil
		}
	}
	return false, errors.New("cgroup.events has no populated line")
}
