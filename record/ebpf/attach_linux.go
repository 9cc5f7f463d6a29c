//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

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
// children.
//
// How: once the programs are attached (so that forks from then on join
// the tgid map in the kernel), pid and then every process whose parent is
// in the map, from /proc, enter the map, until a pass over /proc finds no
// new one. Each process entered holds a pidfd: a process that ended
// before the kernel could see it end (before it entered the map) is taken
// out of the map, and of the count of the tree, when its pidfd says so.
func AttachPID(ctx context.Context, pid int, o record.Options) (*record.Result, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("record: pid %d: not a process id", pid)
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return nil, fmt.Errorf("record: pid %d: no such process", pid)
	}
	e, err := load(config{args: o.Args})
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer e.close()
	if err := e.attach(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	// entered are the processes put in the map here and not yet seen to
	// end, with their pidfds; count is how many of those the kernel
	// sees end (its exit program counts the end of those it saw
	// start, which are not among them).
	entered := map[uint32]int{}
	count := int64(0)
	defer func() {
		for _, fd := range entered {
			syscall.Close(fd)
		}
	}()
	enter := func(tgid uint32) {
		fd, err := unix.PidfdOpen(int(tgid))
		if err != nil {
			return // ended already
		}
		if !e.enter(tgid) {
			syscall.Close(fd) // a fork the kernel saw
			return
		}
		entered[tgid] = fd
		count++
	}
	enter(uint32(pid))
	if len(entered) == 0 {
		return nil, fmt.Errorf("record: pid %d: no such process", pid)
	}
	for {
		added := false
		parents, err := parentsOf()
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		in := map[uint32]bool{}
		for _, t := range e.members() {
			in[t] = true
		}
		for child, parent := range parents {
			if in[parent] && !in[child] {
				enter(child)
				added = true
			}
		}
		if !added {
			break
		}
	}
	if o.OnRecording != nil {
		o.OnRecording()
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		for tgid, fd := range entered {
			if ready, _, _ := unix.PollIn(fd, 0); !ready {
				continue
			}
			// Ended: the kernel took it out of the map and the count,
			// unless it ended before it entered.
			if e.leave(tgid) {
				count--
			}
			syscall.Close(fd)
			delete(entered, tgid)
		}
		if int64(e.stat(statLive))+count <= 0 {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return e.result()
		}
	}
	return e.result()
}

// result is the Result of a recording of processes that are not the
// caller's children.
func (e *engine) result() (*record.Result, error) {
	rec, err := e.recording()
	if err != nil {
		return nil, err
	}
	return &record.Result{Recording: rec}, nil
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
// the cgroup, once it had a process, has none left. Options.Args is as
// for Run and OnRecording is called once the programs are attached; the
// other options are ignored. The Result's ExitCode is 0.
//
// How: the cgroup is the only entry of a cgroup array map, and the
// sys_enter program counts the calls of a task under it
// (bpf_current_task_under_cgroup); no tree is followed, so a task that
// moves out of the cgroup is no longer recorded and one that moves in is.
func AttachCgroup(ctx context.Context, path string, o record.Options) (*record.Result, error) {
	dir, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("record: cgroup: %w", err)
	}
	defer dir.Close()
	var fs syscall.Statfs_t
	if err := syscall.Fstatfs(int(dir.Fd()), &fs); err != nil {
		return nil, fmt.Errorf("record: cgroup %s: %w", path, err)
	}
	if fs.Type != cgroup2Magic {
		return nil, fmt.Errorf("record: cgroup %s: not a directory of the cgroup v2 file system", path)
	}
	e, err := load(config{mode: byCgroup, args: o.Args, cgroup: dir})
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer e.close()
	if err := e.attach(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if o.OnRecording != nil {
		o.OnRecording()
	}
	// A change of cgroup.events while the cgroup is empty means it had
	// a process meanwhile, however short the time (inotify does not miss
	// it, a poll of the file would).
	events := path + "/cgroup.events"
	in, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("record: cgroup %s: %w", path, err)
	}
	defer syscall.Close(in)
	if _, err := syscall.InotifyAddWatch(in, events, syscall.IN_MODIFY); err != nil {
		return nil, fmt.Errorf("record: cgroup %s: watch %s: %w", path, events, err)
	}
	buf := make([]byte, 4096)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	seen := false
	for {
		changed := false
		for {
			n, err := syscall.Read(in, buf)
			if err != nil || n <= 0 {
				break
			}
			changed = true
		}
		populated, err := cgroupPopulated(path)
		if err != nil {
			return nil, fmt.Errorf("record: cgroup %s: %w", path, err)
		}
		if populated {
			seen = true
		} else if seen || changed {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return e.result()
		}
	}
	return e.result()
}

// cgroup2Magic is CGROUP2_SUPER_MAGIC.
const cgroup2Magic = 0x63677270

// cgroupPopulated reads cgroup.events: whether a process is in the
// cgroup or below.
func cgroupPopulated(path string) (bool, error) {
	b, err := os.ReadFile(path + "/cgroup.events")
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
