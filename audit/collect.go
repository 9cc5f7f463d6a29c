package audit

import (
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/syscage/syscage/profile"
)

// Collector gathers the LOG records the kernel writes while a program
// runs in complain mode (a profile whose denials became LOG), for the
// program's audit session or, without one, for the processes that
// started after the collector. It reads the records as fast as the
// kernel sends them and keeps one of each kind (call, action, session,
// and whether the process is new): a program that makes a logged call a
// million times costs one record, and no other call's record is lost
// because the collector fell behind.
type Collector struct {
	before map[int]bool // processes that ran before the program started
	f      *Follower
	done   chan struct{}
	wake   chan struct{} // a record came

	mu    sync.Mutex
	kinds map[collectKey]bool
	out   []Event // one of each kind, in order
	over  int64   // records of kinds beyond maxKinds
}

// collectKey is what Stop filters on and what a complain report needs.
type collectKey struct {
	auditArch, nr, code uint32
	ses                 uint32
	newProcess          bool
}

// maxKinds bounds the kinds of records a Collector keeps.
const maxKinds = 1 << 16

// Collect starts collecting LOG records, from the audit netlink group or
// else the kernel log (SourceAuto). Start it before the program.
func Collect() (*Collector, error) {
	f, err := Follow(FollowOptions{Source: SourceAuto})
	if err != nil {
		return nil, err
	}
	c := &Collector{f: f, done: make(chan struct{}), wake: make(chan struct{}, 1), before: map[int]bool{}, kinds: map[collectKey]bool{}}
	if ents, err := os.ReadDir("/proc"); err == nil {
		for _, e := range ents {
			if pid, err := strconv.Atoi(e.Name()); err == nil {
				c.before[pid] = true
			}
		}
	}
	go func() {
		defer close(c.done)
		for {
			ev, err := f.Next()
			if Skippable(err) {
				continue
			}
			if err != nil {
				return
			}
			if ev.Action().Kind == profile.ActLog {
				c.add(ev)
			}
		}
	}()
	return c, nil
}

func (c *Collector) add(ev Event) {
	// Any record, one kind or not, says the log is not quiet yet.
	select {
	case c.wake <- struct{}{}:
	default:
	}
	k := collectKey{ev.AuditArch, ev.Nr, ev.Code, ev.Ses, !c.before[ev.PID]}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.kinds[k]:
		return
	case len(c.kinds) == maxKinds:
		c.over++
		return
	}
	c.kinds[k] = true
	c.out = append(c.out, ev)
}

// Limited reports whether the records come from the rate-limited kernel
// log rather than the audit netlink group: some may be missing.
func (c *Collector) Limited() bool { return c.f.Source() == SourceKmsg }

// Lost returns how many records were lost: overwritten in the kernel's
// log or dropped by the netlink socket before they could be read, or of
// more kinds than a Collector keeps. Valid after Stop.
func (c *Collector) Lost() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.f.Lost() + c.over
}

// Collector's waits: the audit thread writes records after the calls.
const (
	collectQuiet = 300 * time.Millisecond // the log is done once quiet this long
	collectLimit = 3 * time.Second        // and Stop waits no longer
)

// Stop waits until the log has been quiet for a moment, stops following
// it and returns the records of audit session session or, for session 0
// (no session of its own), of the processes that did not run when the
// collector started (the records do not say which process started which:
// the program's own, and those of others that started while it ran,
// remain): one record of each call and action.
func (c *Collector) Stop(session uint32) []Event {
	quiet := time.NewTimer(collectQuiet)
	limit := time.After(collectLimit)
loop:
	for {
		select {
		case <-c.wake:
			quiet.Reset(collectQuiet)
		case <-c.done:
			break loop
		case <-quiet.C:
			break loop
		case <-limit:
			break loop
		}
	}
	c.f.Close()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	var ours []Event
	for _, ev := range c.out {
		if session != 0 && ev.Ses == session || session == 0 && !c.before[ev.PID] {
			ours = append(ours, ev)
		}
	}
	return ours
}
