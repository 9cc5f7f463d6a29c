package inspect

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
)

// Process is the filters of the threads of one process, as DumpTasks
// read them, grouped by their filters (GroupTasks).
type Process struct {
	PID    int
	Groups []TaskGroup
	Unread []error // why the filters of the other threads could not be read
}

// GroupProcess groups the tasks of process pid (GroupTasks).
func GroupProcess(pid int, tasks []Task) Process {
	groups, unread := GroupTasks(tasks)
	return Process{PID: pid, Groups: groups, Unread: unread}
}

// Unfiltered reports a process whose every thread was read and has no
// filter.
func (p Process) Unfiltered() bool {
	return len(p.Groups) == 1 && len(p.Groups[0].Filters) == 0 && len(p.Unread) == 0
}

// Filters returns the one set of filters that every thread read has
// (none when no thread was read), or an error naming each set when the
// threads have different filters (a thread installed one without TSYNC).
func (p Process) Filters() ([]Filter, error) {
	if len(p.Groups) > 1 {
		var sets []string
		for _, g := range p.Groups {
			sets = append(sets, fmt.Sprintf("%s: %d filter%s", threadsText(g.TIDs), len(g.Filters), plural(len(g.Filters))))
		}
		return nil, fmt.Errorf("dump pid %d: its threads have different filters (%s)", p.PID, strings.Join(sets, "; "))
	}
	if len(p.Groups) == 0 {
		return nil, nil
	}
	return p.Groups[0].Filters, nil
}

// WriteText writes the disassembly of every filter of p, oldest first,
// the system-call numbers named for host and its compat ABIs. When not
// every thread has the same filters, or some could not be read, each set
// is written under a line naming the threads that have it.
func (p Process) WriteText(w io.Writer, host arch.Arch) {
	byThread := len(p.Groups) > 1 || len(p.Unread) > 0
	opts := bpf.DisasmOptions{NameSyscall: arch.Namer(append([]arch.Arch{host}, host.Compat()...)), NameArch: arch.AuditName, Order: host.ByteOrder()}
	for gi, g := range p.Groups {
		fs := g.Filters
		if byThread {
			if gi > 0 {
				fmt.Fprintln(w)
			}
			what := fmt.Sprintf("%d filter%s", len(fs), plural(len(fs)))
			if len(fs) == 0 {
				what = "no seccomp filter"
			}
			fmt.Fprintf(w, "; %s of pid %d: %s\n", threadsText(g.TIDs), p.PID, what)
		}
		for i, f := range fs {
			if i > 0 || byThread {
				fmt.Fprintln(w)
			}
			age := ""
			switch {
			case len(fs) > 1 && i == 0:
				age = ", the oldest"
			case len(fs) > 1 && i == len(fs)-1:
				age = ", the newest"
			}
			fmt.Fprintf(w, "; filter %d of %d%s: %s\n", f.Index, len(fs), age, f.Summary())
			fmt.Fprint(w, bpf.Disassemble(f.Program, opts))
		}
	}
}

// Summary is the size of f and how it was installed, such as
// "12 instructions, installed with SECCOMP_FILTER_FLAG_LOG".
func (f Filter) Summary() string {
	s := fmt.Sprintf("%d instructions", len(f.Program))
	if f.Log {
		s += ", installed with SECCOMP_FILTER_FLAG_LOG"
	}
	return s
}

// Listing is the JSON form of a filter: its place in the stack, its
// flag and its disassembly, one instruction a line.
type Listing struct {
	Index        int      `json:"index"`
	Log          bool     `json:"log"`
	Instructions []string `json:"instructions"`
}

// Listings returns the listings of fs, read in byte order order; an
// empty list for no filter.
func Listings(fs []Filter, order binary.ByteOrder) []Listing {
	out := []Listing{}
	for _, f := range fs {
		lines := strings.Split(strings.TrimRight(bpf.Disassemble(f.Program, bpf.DisasmOptions{Order: order}), "\n"), "\n")
		out = append(out, Listing{Index: f.Index, Log: f.Log, Instructions: lines})
	}
	return out
}

// threadsText names threads: "thread 7" or "threads 7, 8".
func threadsText(tids []int) string {
	return fmt.Sprintf("thread%s %s", plural(len(tids)), joinInts(tids))
}
