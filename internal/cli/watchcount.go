package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/syscage/syscage/internal/termtext"
	"github.com/syscage/syscage/internal/unix"
	recebpf "github.com/syscage/syscage/record/ebpf"
)

// runWatchCounts is watch --engine ebpf: the live counts of the calls of
// a process tree or a cgroup.
func runWatchCounts(e *env, o watchOptions, changed func(string) bool) error {
	for _, f := range []string{"exec", "comm", "count", "from-start", "source", "device"} {
		if changed(f) {
			return usagef("--%s is for seccomp records: --engine ebpf counts every call", f)
		}
	}
	switch {
	case (o.pid != 0) == (o.cgroup != ""):
		return usagef("--engine ebpf counts the calls of --pid PID or of --cgroup PATH: give one of them")
	case o.interval <= 0:
		return usagef("--interval %v: must be positive", o.interval)
	case o.top < 0:
		return usagef("--top %d: must not be negative", o.top)
	}
	ctx, stop := watchContext(o.timeout)
	defer stop()
	p := &countPrinter{e: e, json: o.json, top: o.top}
	var c *recebpf.Counter
	var err error
	if o.pid != 0 {
		c, err = recebpf.WatchPID(o.pid)
		p.view.PID = o.pid
		if b, rerr := os.ReadFile("/proc/" + strconv.Itoa(o.pid) + "/comm"); rerr == nil {
			p.view.Comm = strings.TrimSuffix(string(b), "\n")
		}
		p.view.Who = fmt.Sprintf("process %d (%s) and its descendants", o.pid, termtext.Quote(p.view.Comm))
	} else {
		c, err = recebpf.WatchCgroup(o.cgroup)
		p.view.Cgroup = o.cgroup
		p.view.Who = "the tasks of cgroup " + termtext.Quote(o.cgroup)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	defer c.Close()
	fmt.Fprintf(e.stderr, "syscage: watch: counting the calls of %s\n", p.view.Who)
	if err := sdNotify("READY=1"); err != nil {
		fmt.Fprintf(e.stderr, "syscage: %v\n", err)
	}
	if p.term = isTerminal(e.stdout) && !o.json; p.term {
		p.tty = e.stdout.(*os.File)
	}
	n := 0
	if o.once {
		n = 1
	}
	if err := c.Watch(ctx, recebpf.WatchOptions{Interval: o.interval, Count: n}, p.print); err != nil {
		return withCode(ExitFailure, err)
	}
	return p.short()
}

// short is the error of a watch whose last counts may be short (exit 1).
func (p *countPrinter) short() error {
	if reason, ok := p.view.Short(); ok {
		return withCode(ExitFinding, fmt.Errorf("watch: the counts may be short: %s", reason))
	}
	return nil
}

// countPrinter prints the snapshots of a counter: as a table redrawn in
// place on a terminal, else a block or (json) a JSON line each.
type countPrinter struct {
	e    *env
	json bool
	term bool
	// top is --top; tty, on a terminal, the terminal, whose height
	// sets the number of rows without --top.
	top  int
	tty  *os.File
	view recebpf.View
}

func (p *countPrinter) print(s *recebpf.Snapshot, final bool) error {
	if p.json {
		return p.view.WriteJSON(p.e.stdout, s, final, p.top)
	}
	top := p.top
	if top == 0 && p.tty != nil {
		if h, ok := unix.TermRows(int(p.tty.Fd())); ok {
			top = max(h-5, 1) // the header, a line for "more", the cursor's
		}
	}
	return p.view.WriteText(p.e.stdout, s, final, recebpf.TextOptions{Top: top, Redraw: p.term})
}
