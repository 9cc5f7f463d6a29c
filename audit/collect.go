package audit

import (
	"os"
	"strconv"
	"time"

	"github.com/syscage/syscage/profile"
)

// Collector gathers the LOG records the kernel writes while a program
// runs in complain mode (a profile whose denials became LOG), for the
// program's audit session or, without one, for the processes that
// started after the collector.
type Collector struct {
	before map[int]bool // processes that ran before the program started
	f      *Follower
	events chan Event
	done   chan struct{}
}

// Collect starts collecting LOG records, from the audit netlink group or
// else the kernel log (SourceAuto). Start it before the program.
func Collect() (*Collector, error) {
	f, err := Follow(FollowOptions{Source: SourceAuto})
	if err != nil {
		return nil, err
	}
	c := &Collector{f: f, events: make(chan Event, 1024), done: make(chan struct{}), before: map[int]bool{}}
	if ents, err := os.ReadDir("/proc"); err == nil {
		for _, e := range ents {
			if pid, err := strconv.Atoi(e.Name()); err == nil {
				c.before[pid] = true
			}
		}
	}
	go func() {
		defer close(c.done)
		defer close(c.events)
		for {
			ev, err := f.Next()
			if Skippable(err) {
				continue
			}
			if err != nil {
				return
			}
			if ev.Action().Kind == profile.ActLog {
				c.events <- ev
			}
		}
	}()
	return c, nil
}

// Limited reports whether the records come from the rate-limited kernel
// log rather than the audit netlink group: some may be missing.
func (c *Collector) Limited() bool { return c.f.Source() == SourceKmsg }

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
// remain).
func (c *Collector) Stop(session uint32) []Event {
	var out []Event
	quiet := time.NewTimer(collectQuiet)
	limit := time.After(collectLimit)
loop:
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				break loop
			}
			out = append(out, ev)
			quiet.Reset(collectQuiet)
		case <-quiet.C:
			break loop
		case <-limit:
			break loop
		}
	}
	c.f.Close()
	for ev := range c.events {
		out = append(out, ev)
	}
	<-c.done
	ours := out[:0]
	for _, ev := range out {
		if session != 0 && ev.Ses == session || session == 0 && !c.before[ev.PID] {
			ours = append(ours, ev)
		}
	}
	return ours
}
