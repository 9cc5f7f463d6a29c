package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/syscage/syscage/internal/termtext"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/record"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	p := &countPrinter{e: e, json: o.json, top: o.top}
	var c *recebpf.Counter
	var err error
	if o.pid != 0 {
		c, err = recebpf.WatchPID(o.pid)
		p.line.PID = o.pid
		if b, rerr := os.ReadFile("/proc/" + strconv.Itoa(o.pid) + "/comm"); rerr == nil {
			p.line.Comm = strings.TrimSuffix(string(b), "\n")
		}
		p.who = fmt.Sprintf("process %d (%s) and its descendants", o.pid, termtext.Quote(p.line.Comm))
	} else {
		c, err = recebpf.WatchCgroup(o.cgroup)
		p.line.Cgroup = o.cgroup
		p.who = "the tasks of cgroup " + termtext.Quote(o.cgroup)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	defer c.Close()
	fmt.Fprintf(e.stderr, "syscage: watch: counting the calls of %s\n", p.who)
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
	if p.prev != nil && p.prev.Partial {
		return withCode(ExitFinding, fmt.Errorf("watch: the counts may be short: %s", p.prev.Reason))
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
	who  string
	line countLine
	prev *recebpf.Snapshot
}

// countLine is a snapshot as a JSON line.
type countLine struct {
	Time time.Time `json:"time"`
	PID  int       `json:"pid,omitempty"`
	Comm string    `json:"comm,omitempty"`
	// Cgroup is the cgroup's path.
	Cgroup string `json:"cgroup,omitempty"`
	// Seconds since the previous line (or watch's start), which Delta
	// and Rate count.
	Seconds float64       `json:"seconds"`
	Total   uint64        `json:"total"`
	Calls   []countCall   `json:"calls"`
	Lost    []record.Loss `json:"lost"`
	// Partial says why the counts may be short.
	Partial string `json:"partial,omitempty"`
	// Final: the last line; Ended: it came when the tasks had ended.
	Final bool `json:"final,omitempty"`
	Ended bool `json:"ended,omitempty"`
}

type countCall struct {
	ABI string `json:"abi"`
	Nr  uint32 `json:"nr"`
	// Name is "" for a number syscage's table does not name.
	Name        string  `json:"name,omitempty"`
	Multiplexer string  `json:"multiplexer,omitempty"`
	Call        *uint32 `json:"call,omitempty"`
	// Beyond: numbers above 1023, counted together.
	Beyond bool    `json:"beyond,omitempty"`
	Total  uint64  `json:"total"`
	Delta  uint64  `json:"delta"`
	Rate   float64 `json:"rate"`
}

func (p *countPrinter) print(s *recebpf.Snapshot, final bool) error {
	since := s.Start
	if p.prev != nil {
		since = p.prev.Time
	}
	rows := s.Top(p.prev)
	p.prev = s
	secs := s.Time.Sub(since).Seconds()
	if p.json {
		return p.printJSON(s, rows, secs, final)
	}
	var b strings.Builder
	if p.term {
		b.WriteString("\x1b[H\x1b[2J") // home, clear: redrawn in place
	}
	when := s.Time.UTC().Format(time.RFC3339)
	end := ""
	switch {
	case s.Ended:
		end = " (final: they have all ended)"
	case final:
		end = " (final)"
	}
	fmt.Fprintf(&b, "%s %s%s\n", when, p.who, end)
	rate := 0.0
	if secs > 0 {
		var d uint64
		for _, r := range rows {
			d += r.Delta
		}
		rate = float64(d) / secs
	}
	lost := "lost: none"
	if s.Partial {
		lost = "LOST: " + s.Reason
	}
	fmt.Fprintf(&b, "%d calls, %.1f/s over %.3fs; %s\n", s.Total(), rate, secs, lost)
	fmt.Fprintf(&b, "%10s %12s  %-6s  %s\n", "RATE/s", "TOTAL", "ABI", "SYSCALL")
	shown, top := rows, p.top
	if top == 0 && p.tty != nil {
		if h, ok := unix.TermRows(int(p.tty.Fd())); ok {
			top = max(h-5, 1) // the header, a line for "more", the cursor's
		}
	}
	if top > 0 && len(shown) > top {
		shown = shown[:top]
	}
	for _, r := range shown {
		fmt.Fprintf(&b, "%10.1f %12d  %-6s  %s\n", r.Rate, r.Total, r.Arch, syscallText(r.Syscall))
	}
	if more := len(rows) - len(shown); more > 0 {
		fmt.Fprintf(&b, "(%d more)\n", more)
	}
	if !p.term {
		b.WriteString("\n")
	}
	_, err := fmt.Fprint(p.e.stdout, b.String())
	return err
}

// syscallText names a counted call: getppid(110), socket(socketcall 1),
// unknown(1000) for a number no table names, unknown(>1023).
func syscallText(s recebpf.Syscall) string {
	switch {
	case s.Beyond:
		return "unknown(>1023)"
	case s.Multiplexer != "":
		return fmt.Sprintf("%s(%s %d)", s.Name, s.Multiplexer, s.Call)
	case s.Name == "":
		return fmt.Sprintf("unknown(%d)", s.Nr)
	}
	return fmt.Sprintf("%s(%d)", s.Name, s.Nr)
}

func (p *countPrinter) printJSON(s *recebpf.Snapshot, rows []recebpf.Row, secs float64, final bool) error {
	l := p.line
	l.Time, l.Seconds, l.Total, l.Lost, l.Final, l.Ended = s.Time.UTC(), secs, s.Total(), s.Lost, final, s.Ended
	if s.Partial {
		l.Partial = s.Reason
	}
	if p.top > 0 && len(rows) > p.top {
		rows = rows[:p.top]
	}
	l.Calls = make([]countCall, 0, len(rows))
	for _, r := range rows {
		c := countCall{ABI: r.Arch.String(), Nr: r.Nr, Name: r.Name, Multiplexer: r.Multiplexer, Beyond: r.Beyond, Total: r.Total, Delta: r.Delta, Rate: r.Rate}
		if r.Multiplexer != "" {
			call := r.Call
			c.Call = &call
		}
		l.Calls = append(l.Calls, c)
	}
	js, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.e.stdout, "%s\n", termtext.JSON(js))
	return err
}
