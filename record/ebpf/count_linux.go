//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	cebpf "github.com/cilium/ebpf"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
)

// A Counter counts the system calls of a running process tree (WatchPID)
// or of the tasks of a cgroup (WatchCgroup) as they are made, per ABI and
// number, with the engine that Run uses. The kernel's counts are read,
// never reset: each Snapshot holds every call since the counter started.
// Its methods may be called from several goroutines.
type Counter struct {
	e     *engine
	tree  follower
	dir   *os.File // the cgroup (WatchCgroup)
	start time.Time
	// stop ends the goroutine that waits for the end of the tasks, which
	// closes exited when it returns, and ended (after setting err) when
	// the tasks have ended or waiting failed.
	stop          context.CancelFunc
	ended, exited chan struct{}
	err           error

	mu     sync.Mutex
	closed bool
}

// follower is pidTree or cgroupTree.
type follower interface {
	wait() (bool, error)
	close()
}

// WatchPID starts counting the system calls of the running process pid
// and of its descendants: those alive now and those they start from now
// on, followed through fork and clone in the kernel as AttachPID follows
// them. Done is closed once all of them have ended. Errors begin with
// "watch:" and wrap ErrNotSupported, ErrPermission or ErrLockdown when
// the engine cannot run.
func WatchPID(pid int) (*Counter, error) {
	if err := checkPID(pid); err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	e, err := start(config{}, "watch")
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	t, err := followPID(ctx, e, pid)
	if err != nil {
		stop()
		e.close()
		return nil, fmt.Errorf("watch: %w", err)
	}
	return newCounter(e, t, nil, stop), nil
}

// WatchCgroup starts counting the system calls of the tasks of the cgroup
// v2 directory path and of the cgroups below it, as AttachCgroup selects
// them. Done is closed once the cgroup, having had a task since the
// counter started, has none left (never for the root cgroup).
func WatchCgroup(path string) (*Counter, error) {
	dir, err := openCgroup(path)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	e, err := start(config{mode: byCgroup, cgroup: dir}, "watch")
	if err != nil {
		dir.Close()
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	t, err := followCgroup(ctx, e, path)
	if err != nil {
		stop()
		e.close()
		dir.Close()
		return nil, fmt.Errorf("watch: %w", err)
	}
	return newCounter(e, t, dir, stop), nil
}

func newCounter(e *engine, t follower, dir *os.File, stop context.CancelFunc) *Counter {
	c := &Counter{e: e, tree: t, dir: dir, start: time.Now(), stop: stop, ended: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(c.exited)
		over, err := t.wait()
		if over || err != nil {
			c.err = err
			close(c.ended)
		}
	}()
	return c
}

// Done is closed when the counted tasks have all ended, which the kernel
// reports (a process's pidfd, the engine's exit program, a cgroup's
// cgroup.events), or when waiting for it failed (see Err).
func (c *Counter) Done() <-chan struct{} { return c.ended }

// Err returns, once Done is closed, why waiting for the end of the tasks
// failed, or nil when they ended.
func (c *Counter) Err() error {
	select {
	case <-c.ended:
		if c.err != nil {
			return fmt.Errorf("watch: %w", c.err)
		}
	default:
	}
	return nil
}

// Snapshot returns the calls counted so far, and the loss counters.
func (c *Counter) Snapshot() (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	s := &Snapshot{Start: c.start, Time: time.Now()}
	// Read after the end, the counts are final.
	select {
	case <-c.ended:
		s.Ended = c.err == nil
	default:
	}
	counts, err := c.e.readCounts()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	for slot, n := range counts {
		if n != 0 {
			s.Calls = append(s.Calls, Count{Syscall: slotSyscall(uint32(slot)), N: n})
		}
	}
	s.Lost, s.Reason = c.e.losses()
	s.Partial = s.Reason != ""
	return s, nil
}

// Close stops counting: it detaches the programs and frees the maps.
func (c *Counter) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.stop()
	<-c.exited
	c.tree.close()
	c.e.close()
	if c.dir != nil {
		c.dir.Close()
	}
}

// Watch calls f with a snapshot every Interval until the counted tasks
// have all ended, ctx ends or Count snapshots were taken, and then with
// the last one, final. It returns f's error, or Err's. The refresh is a
// timer; the end is the kernel's report (see Done), not a timer's.
func (c *Counter) Watch(ctx context.Context, o WatchOptions, f func(s *Snapshot, final bool) error) error {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		final := false
		select {
		case <-c.Done():
			final = true
		case <-ctx.Done():
			final = true
		case <-tick.C:
			final = o.Count > 0 && n >= o.Count
		}
		if err := c.Err(); err != nil {
			return err
		}
		s, err := c.Snapshot()
		if err != nil {
			return err
		}
		if err := f(s, final); err != nil {
			return err
		}
		if final {
			return nil
		}
	}
}

// noBatch makes readCounts read slot by slot (a kernel before 5.6 has no
// batch lookup); tests set it.
var noBatch bool

// readCounts returns the number of calls of each slot of the counts map,
// summed over the CPUs, without clearing them: in one batch lookup, or
// slot by slot where the kernel has none.
func (e *engine) readCounts() ([]uint64, error) {
	cpus, err := cebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("count the CPUs: %w", err)
	}
	sums := make([]uint64, numSlots)
	if !noBatch {
		keys := make([]uint32, numSlots)
		vals := make([]uint64, numSlots*cpus)
		var cursor cebpf.MapBatchCursor
		read := 0
		for read < numSlots {
			n, err := e.counts.BatchLookup(&cursor, keys, vals, nil)
			if errors.Is(err, cebpf.ErrNotSupported) && read == 0 {
				break
			}
			if err != nil && !errors.Is(err, cebpf.ErrKeyNotExist) {
				return nil, fmt.Errorf("read the counts: %w", err)
			}
			for i, k := range keys[:n] {
				for _, v := range vals[i*cpus : (i+1)*cpus] {
					sums[k] += v
				}
			}
			read += n
			if err != nil || n == 0 {
				break
			}
		}
		if read == numSlots {
			return sums, nil
		}
		if read != 0 {
			return nil, fmt.Errorf("read the counts: %d of %d slots in a batch", read, numSlots)
		}
	}
	perCPU := make([]uint64, cpus)
	for slot := range uint32(numSlots) {
		if err := e.counts.Lookup(slot, &perCPU); err != nil {
			return nil, fmt.Errorf("read the counts: %w", err)
		}
		for _, v := range perCPU {
			sums[slot] += v
		}
	}
	return sums, nil
}

// slotSyscall names the system call of a slot of the counts map.
func slotSyscall(slot uint32) Syscall {
	if slot >= socketBase {
		s := Syscall{Arch: arch.X86, Nr: nrSocketcall, Multiplexer: "socketcall", Call: slot - socketBase}
		if slot >= ipcBase {
			s.Nr, s.Multiplexer, s.Call = nrIPC, "ipc", slot-ipcBase
		}
		s.Name = s.Multiplexer
		if sub, ok := arch.SubcallName(s.Multiplexer, s.Call); ok {
			s.Name = sub
		}
		return s
	}
	a, nr := abis[slot/slots], slot%slots
	s := Syscall{Arch: a, Nr: nr, Beyond: nr == beyond}
	if a == arch.X32 {
		s.Nr |= x32SyscallBit
	}
	if !s.Beyond {
		s.Name, _ = a.SyscallName(s.Nr)
	}
	return s
}

// losses returns every loss counter of the engine (zero or not) and,
// when one is not zero, the reason what was counted may be incomplete.
func (e *engine) losses() ([]record.Loss, string) {
	var lost []record.Loss
	var reason []string
	add := func(what string, n uint64) {
		lost = append(lost, record.Loss{What: what, Count: n})
		if n > 0 {
			reason = append(reason, fmt.Sprintf("%d %s", n, what))
		}
	}
	add("kernel reads failed", e.stat(statReadErr))
	if e.values != nil {
		add("argument values were not kept", e.stat(statLostValue))
	}
	for i, p := range e.progs {
		var n uint64
		if st, err := p.Stats(); err == nil {
			n = st.RecursionMisses
		}
		add("runs of the "+hookName(e.tps[i])+" program the kernel skipped", n)
	}
	if len(reason) == 0 {
		return lost, ""
	}
	return lost, "calls may be missing: " + strings.Join(reason, ", ")
}
