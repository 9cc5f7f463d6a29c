package ebpf

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/syscage/syscage/internal/termtext"
	"github.com/syscage/syscage/record"
)

// Label names a counted call: getppid(110), socket(socketcall 1),
// unknown(1000) for a number no table names, unknown(>1023).
func (s Syscall) Label() string {
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

// A View writes a counter's snapshots one after the other, as a block of
// text or a JSON line each; the deltas and rates of each are since the
// one before.
type View struct {
	// Who says what is counted ("process 7 (sh) and its descendants"),
	// terminal-safe.
	Who string
	// PID and Comm, or Cgroup, go into the JSON lines.
	PID    int
	Comm   string
	Cgroup string
	prev   *Snapshot
}

// TextOptions are the options of View.WriteText.
type TextOptions struct {
	// Top, when > 0, shows at most Top calls, and how many more there
	// are.
	Top int
	// Redraw starts the block by homing the cursor and clearing the
	// screen (a terminal redrawn in place) instead of ending it with an
	// empty line.
	Redraw bool
}

// Short says why the counts of the last snapshot written may be short,
// and whether they may.
func (v *View) Short() (string, bool) {
	if v.prev != nil && v.prev.Partial {
		return v.prev.Reason, true
	}
	return "", false
}

// next returns the calls of s busiest first and the seconds since the
// snapshot before, and makes s the one before the next.
func (v *View) next(s *Snapshot) ([]Row, float64) {
	since := s.Start
	if v.prev != nil {
		since = v.prev.Time
	}
	rows := s.Top(v.prev)
	v.prev = s
	return rows, s.Time.Sub(since).Seconds()
}

// WriteText writes s as a block: a heading with the time, Who and
// whether it is the final one, the total with its rate and the losses,
// and a row per call, busiest first.
func (v *View) WriteText(w io.Writer, s *Snapshot, final bool, o TextOptions) error {
	rows, secs := v.next(s)
	var b strings.Builder
	if o.Redraw {
		b.WriteString("\x1b[H\x1b[2J") // home, clear: redrawn in place
	}
	end := ""
	switch {
	case s.Ended:
		end = " (final: they have all ended)"
	case final:
		end = " (final)"
	}
	fmt.Fprintf(&b, "%s %s%s\n", s.Time.UTC().Format(time.RFC3339), v.Who, end)
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
	shown := rows
	if o.Top > 0 && len(shown) > o.Top {
		shown = shown[:o.Top]
	}
	for _, r := range shown {
		fmt.Fprintf(&b, "%10.1f %12d  %-6s  %s\n", r.Rate, r.Total, r.Arch, r.Label())
	}
	if more := len(rows) - len(shown); more > 0 {
		fmt.Fprintf(&b, "(%d more)\n", more)
	}
	if !o.Redraw {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonLine is a snapshot as a JSON line.
type jsonLine struct {
	Time time.Time `json:"time"`
	PID  int       `json:"pid,omitempty"`
	Comm string    `json:"comm,omitempty"`
	// Cgroup is the cgroup's path.
	Cgroup string `json:"cgroup,omitempty"`
	// Seconds since the previous line (or the counter's start), which
	// Delta and Rate count.
	Seconds float64       `json:"seconds"`
	Total   uint64        `json:"total"`
	Calls   []jsonCall    `json:"calls"`
	Lost    []record.Loss `json:"lost"`
	// Partial says why the counts may be short.
	Partial string `json:"partial,omitempty"`
	// Final: the last line; Ended: it came when the tasks had ended.
	Final bool `json:"final,omitempty"`
	Ended bool `json:"ended,omitempty"`
}

type jsonCall struct {
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

// WriteJSON writes s as one JSON line (terminal-safe: every control
// character escaped), with at most top calls when top > 0.
func (v *View) WriteJSON(w io.Writer, s *Snapshot, final bool, top int) error {
	rows, secs := v.next(s)
	l := jsonLine{Time: s.Time.UTC(), PID: v.PID, Comm: v.Comm, Cgroup: v.Cgroup, Seconds: secs, Total: s.Total(),
		Lost: s.Lost, Final: final, Ended: s.Ended}
	if s.Partial {
		l.Partial = s.Reason
	}
	if top > 0 && len(rows) > top {
		rows = rows[:top]
	}
	l.Calls = make([]jsonCall, 0, len(rows))
	for _, r := range rows {
		c := jsonCall{ABI: r.Arch.String(), Nr: r.Nr, Name: r.Name, Multiplexer: r.Multiplexer, Beyond: r.Beyond, Total: r.Total, Delta: r.Delta, Rate: r.Rate}
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
	_, err = fmt.Fprintf(w, "%s\n", termtext.JSON(js))
	return err
}
