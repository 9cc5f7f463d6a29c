package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/inspect"
)

type dumpOptions struct {
	pid     int
	out     string
	json    bool
	timeout time.Duration
}

func newDumpCmd(e *env) *cobra.Command {
	var o dumpOptions
	c := &cobra.Command{
		Use:   "dump --pid PID [-o DIR]",
		Short: "Show the seccomp filters a running process really has",
		Long: `Dump reads the seccomp filters of a running process from the kernel
(PTRACE_SECCOMP_GET_FILTER), every stacked filter, oldest first, and prints
their disassembly, or with -o writes each as a raw BPF file DIR/filter-N.bpf
(the kernel's struct sock_filter array, as 'syscage disasm', 'emu', 'verify'
and 'diff' read it).

Every thread is read; they are stopped together for the moment it takes.
When the threads do not all share one set of filters (a thread installed
one without TSYNC), each set is shown under the threads that have it. A
thread that does not stop within --timeout (one in uninterruptible sleep:
a vfork parent waiting for its child, a task frozen by the cgroup v1
freezer) or that another tracer holds is named on stderr with its state,
the others are still shown, and the exit status is 125; the thread is
left running as it was. A thread that has ended (a zombie leader whose
other threads run) is left out. Dump needs root
(CAP_SYS_ADMIN and the right to ptrace the process) and must not run under
a seccomp filter itself; the kernel needs CONFIG_CHECKPOINT_RESTORE. A
process in a container is dumped from the host by its host pid.

Exit status 0 when the filters were read, 1 when the process has none,
125 when they cannot be read (of any thread).`,
		Example: `  syscage dump --pid 1234
  syscage dump --pid $(pidof nginx) -o nginx-filters
  syscage verify nginx-filters docker-default`,
		Args: cmdArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, args []string) error {
			return runDump(e, o)
		},
	}
	f := c.Flags()
	pidVar(f, &o.pid, "the process `PID` (required)")
	f.StringVarP(&o.out, "output", "o", "", "write raw filters to `DIR`")
	f.BoolVar(&o.json, "json", false, "print JSON: each filter's flags and instructions")
	f.DurationVar(&o.timeout, "timeout", inspect.DefaultTimeout, "how long to wait for the threads to stop, all together (one in uninterruptible sleep, such as a vfork parent, does not)")
	return c
}

func runDump(e *env, o dumpOptions) error {
	if o.pid == 0 {
		return usagef("dump needs --pid PID")
	}
	host, err := parseArchFlag("")
	if err != nil {
		return withCode(ExitFailure, err)
	}
	tasks, err := inspect.DumpTasks(o.pid, inspect.DumpOptions{Timeout: o.timeout})
	if err != nil {
		return withCode(ExitFailure, err)
	}
	groups, unread := inspect.GroupTasks(tasks)
	// What was read is shown; the threads that could not be read are
	// named on stderr and make the exit status 125.
	failed := func() error {
		if len(unread) == 0 {
			return nil
		}
		for _, err := range unread[:len(unread)-1] {
			fmt.Fprintf(e.stderr, "syscage: %v\n", err)
		}
		return withCode(ExitFailure, unread[len(unread)-1])
	}
	if len(groups) > 1 && (o.out != "" || o.json) {
		var sets []string
		for _, g := range groups {
			sets = append(sets, fmt.Sprintf("thread%s %s: %d filter%s", plural(len(g.TIDs)), joinInts(g.TIDs), len(g.Filters), plural(len(g.Filters))))
		}
		return withCode(ExitFailure, fmt.Errorf("dump pid %d: its threads have different filters (%s): -o and --json take one set; dump without them shows each", o.pid, strings.Join(sets, "; ")))
	}
	if len(groups) == 0 {
		return failed()
	}
	if len(groups) == 1 && len(groups[0].Filters) == 0 && len(unread) == 0 {
		// Not a failure: the answer is that there is nothing to dump.
		if o.json {
			fmt.Fprintln(e.stdout, "[]")
		} else {
			fmt.Fprintf(e.stdout, "pid %d has no seccomp filter\n", o.pid)
		}
		return silentExit(ExitFinding)
	}
	if o.out != "" {
		fs := groups[0].Filters
		paths, err := inspect.WriteDir(o.out, fs, host.ByteOrder())
		for i, path := range paths {
			fmt.Fprintf(e.stdout, "%s: %d instructions%s\n", path, len(fs[i].Program), logNote(fs[i]))
		}
		if err != nil {
			return withCode(ExitFailure, err)
		}
		return failed()
	}
	if o.json {
		type jf struct {
			Index        int      `json:"index"`
			Log          bool     `json:"log"`
			Instructions []string `json:"instructions"`
		}
		out := []jf{}
		for _, f := range groups[0].Filters {
			lines := strings.Split(strings.TrimRight(bpf.Disassemble(f.Program, bpf.DisasmOptions{Order: host.ByteOrder()}), "\n"), "\n")
			out = append(out, jf{Index: f.Index, Log: f.Log, Instructions: lines})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return withCode(ExitFailure, err)
		}
		return failed()
	}
	// Threads are named when not all of them share one set of filters.
	byThread := len(groups) > 1 || len(unread) > 0
	arches := append([]arch.Arch{host}, host.Compat()...)
	for gi, g := range groups {
		fs := g.Filters
		if byThread {
			if gi > 0 {
				fmt.Fprintln(e.stdout)
			}
			what := fmt.Sprintf("%d filter%s", len(fs), plural(len(fs)))
			if len(fs) == 0 {
				what = "no seccomp filter"
			}
			fmt.Fprintf(e.stdout, "; thread%s %s of pid %d: %s\n", plural(len(g.TIDs)), joinInts(g.TIDs), o.pid, what)
		}
		for i, f := range fs {
			if i > 0 || byThread {
				fmt.Fprintln(e.stdout)
			}
			age := ""
			switch {
			case len(fs) > 1 && i == 0:
				age = ", the oldest"
			case len(fs) > 1 && i == len(fs)-1:
				age = ", the newest"
			}
			fmt.Fprintf(e.stdout, "; filter %d of %d%s: %d instructions%s\n", f.Index, len(fs), age, len(f.Program), logNote(f))
			fmt.Fprint(e.stdout, bpf.Disassemble(f.Program, bpf.DisasmOptions{NameSyscall: arch.Namer(arches), NameArch: arch.AuditName, Order: host.ByteOrder()}))
		}
	}
	return failed()
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func logNote(f inspect.Filter) string {
	if f.Log {
		return ", installed with SECCOMP_FILTER_FLAG_LOG"
	}
	return ""
}
