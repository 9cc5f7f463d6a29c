package fusion

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// Denial is a system call of a recorded workload that a profile would not
// have let through.
type Denial struct {
	Arch arch.Arch
	Name string
	// Args are the checked arguments' values (at ArgIndexes) of the
	// call denied; nil when the recording has none.
	Args       []uint64
	ArgIndexes []uint8
	Action     profile.Action
	// Rule is the index of the rule that decided, or
	// profile.DecidedByDefault, profile.DecidedByBadArch.
	Rule int
	// Unsure reports that the profile decides the call by arguments the
	// recording did not keep: Action is its verdict with those
	// arguments zero.
	Unsure bool
}

// String says what was denied, such as "x86_64 socket(arg0=0x10):
// KILL_PROCESS (the default)".
func (d Denial) String() string {
	s := d.Arch.String() + " " + d.Name
	if len(d.Args) > 0 {
		s += "("
		for i, a := range d.ArgIndexes {
			if i > 0 {
				s += ", "
			}
			s += fmt.Sprintf("arg%d=%#x", a, d.Args[i])
		}
		s += ")"
	}
	s += ": " + d.Action.String()
	switch d.Rule {
	case profile.DecidedByDefault:
		s += " (the default)"
	case profile.DecidedByBadArch:
		s += " (an ABI the profile does not cover)"
	default:
		s += fmt.Sprintf(" (rule %d)", d.Rule+1)
	}
	if d.Unsure {
		s += " (the profile checks arguments the recording did not keep)"
	}
	return s
}

// Denials returns the calls of rec that p (resolved) would have denied,
// killed or trapped, in the order of rec.Calls.
func Denials(p *profile.Profile, rec *record.Recording) ([]Denial, error) {
	conditional := map[string]bool{}
	for _, r := range p.Rules {
		if len(r.Conds) > 0 {
			for _, n := range r.Names {
				conditional[n] = true
			}
		}
	}
	var out []Denial
	for _, c := range rec.Calls() {
		nr, ok := c.Arch.SyscallNumber(c.Name)
		if !ok {
			continue // a recording names only calls of the ABI's table
		}
		values := c.Values
		if len(values) == 0 {
			values = [][]uint64{nil}
		}
		for _, v := range values {
			d := profile.Data{Nr: nr, Arch: c.Arch.Audit()}
			for i, a := range c.ArgIndexes {
				if v != nil {
					d.Args[a] = v[i]
				}
			}
			verdict, err := profile.Explain(p, rec.Native, d)
			if err != nil {
				return nil, fmt.Errorf("check %s %s: %w", c.Arch, c.Name, err)
			}
			if verdict.Action.Permits() {
				continue
			}
			den := Denial{Arch: c.Arch, Name: c.Name, Action: verdict.Action, Rule: verdict.Rule}
			if v != nil {
				den.Args, den.ArgIndexes = slices.Clone(v), c.ArgIndexes
			} else if conditional[c.Name] {
				den.Unsure = true
			}
			out = append(out, den)
		}
	}
	return out, nil
}

// FallbackNames are the calls p answers with ERRNO(ENOSYS) whatever their
// arguments: a check records the workload with them answered so, as the
// profile would, since the program then falls back to other calls.
func FallbackNames(p *profile.Profile) []string {
	var out []string
	for _, r := range p.Rules {
		if len(r.Conds) == 0 && r.Action.Kind == profile.ActErrno && r.Action.Data == enosys && r.Includes.IsZero() && r.Excludes.IsZero() {
			out = append(out, r.Names...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Workload is one workload Check ran: its command line, its exit status
// (-1 when a signal ended it) and the calls the profile would have
// denied it.
type Workload struct {
	Argv   []string
	Exit   int
	Denied []Denial
}

// MarshalJSON writes w as {"workload": the command line, "exit",
// "denied": each denial as its String}.
func (w Workload) MarshalJSON() ([]byte, error) {
	j := struct {
		Workload string   `json:"workload"`
		Exit     int      `json:"exit"`
		Denied   []string `json:"denied"`
	}{strings.Join(w.Argv, " "), w.Exit, []string{}}
	for _, d := range w.Denied {
		j.Denied = append(j.Denied, d.String())
	}
	return json.Marshal(j)
}

// WriteText writes, for each of ws, a line that says whether a call
// would have been denied and, if so, each call on a line of its own;
// prefix begins each workload's line (such as the program's name).
func WriteText(w io.Writer, ws []Workload, prefix string) {
	for i, wl := range ws {
		status := ""
		if wl.Exit != 0 {
			status = fmt.Sprintf(" (it exited with status %d)", wl.Exit)
		}
		if len(wl.Denied) == 0 {
			fmt.Fprintf(w, "%sworkload %d (%s): no call would have been denied%s\n", prefix, i+1, strings.Join(wl.Argv, " "), status)
			continue
		}
		fmt.Fprintf(w, "%sworkload %d (%s): %d call(s) would have been denied%s:\n", prefix, i+1, strings.Join(wl.Argv, " "), len(wl.Denied), status)
		for _, d := range wl.Denied {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
}

// Check runs each workload to its end, recorded as record.Run records
// with o, and returns per workload the calls p (resolved) would have
// denied, killed or trapped (Denials). Nothing is denied while the
// workloads run: o's Known, Args and ENOSYS are set from p, so that the
// calls p allows with any arguments run without a stop, the others are
// recorded with their checked arguments, and the calls p answers with
// ENOSYS get ENOSYS (FallbackNames), as under p, so that the program
// takes its fallbacks. native is the ABI of a recording that names none.
//
// o.Signals go to the running workload, as with record.Run; one that ends
// a process by default (not SIGWINCH, SIGCONT) also ends the check once
// that workload has ended: Check then returns the workloads run and a
// *Stopped for the rest.
func Check(ctx context.Context, p *profile.Profile, native arch.Arch, workloads [][]string, o record.Options) ([]Workload, error) {
	o.Known, o.Args, o.ENOSYS = p, true, FallbackNames(p)
	var stop atomic.Value // the first signal that ends the check
	if in := o.Signals; in != nil {
		fwd := make(chan os.Signal, 8)
		o.Signals = fwd
		done := make(chan struct{})
		defer close(done)
		go func() {
			for {
				select {
				case s := <-in:
					if s != syscall.SIGWINCH && s != syscall.SIGCONT {
						stop.CompareAndSwap(nil, s)
					}
					select {
					case fwd <- s:
					default:
					}
				case <-done:
					return
				}
			}
		}()
	}
	var out []Workload
	for i, argv := range workloads {
		if s, ok := stop.Load().(os.Signal); ok {
			return out, &Stopped{Signal: s, Next: i + 1, Of: len(workloads)}
		}
		res, err := record.Run(ctx, argv, o)
		if err != nil {
			return nil, fmt.Errorf("workload %d (%s): %w", i+1, argv[0], err)
		}
		rec := res.Recording
		if rec.Native == arch.Invalid {
			rec.Native = native
		}
		ds, err := Denials(p, rec)
		if err != nil {
			return nil, fmt.Errorf("workload %d (%s): %w", i+1, argv[0], err)
		}
		out = append(out, Workload{Argv: argv, Exit: res.ExitCode, Denied: ds})
	}
	return out, nil
}

// Stopped reports the workloads Check did not run: a signal that ends a
// process came while an earlier one ran.
type Stopped struct {
	Signal os.Signal
	Next   int // the first workload not run, from 1
	Of     int // how many there were
}

func (e *Stopped) Error() string {
	name := e.Signal.String()
	if sig, ok := e.Signal.(syscall.Signal); ok {
		name = unix.SignalString(sig)
	}
	if e.Next == e.Of {
		return fmt.Sprintf("ended by %s: workload %d of %d not run", name, e.Next, e.Of)
	}
	return fmt.Sprintf("ended by %s: workloads %d to %d not run", name, e.Next, e.Of)
}
