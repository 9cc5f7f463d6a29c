package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
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
	d := inspect.GroupProcess(o.pid, tasks)
	fs, err := d.Filters()
	switch {
	case err != nil && (o.out != "" || o.json):
		return withCode(ExitFailure, fmt.Errorf("%w: -o and --json take one set; dump without them shows each", err))
	case len(d.Groups) == 0:
		return unreadError(e, d.Unread)
	case d.Unfiltered():
		// Not a failure: the answer is that there is nothing to dump.
		if o.json {
			fmt.Fprintln(e.stdout, "[]")
		} else {
			fmt.Fprintf(e.stdout, "pid %d has no seccomp filter\n", o.pid)
		}
		return silentExit(ExitFinding)
	case o.out != "":
		paths, err := inspect.WriteDir(o.out, fs, host.ByteOrder())
		for i, path := range paths {
			fmt.Fprintf(e.stdout, "%s: %s\n", path, fs[i].Summary())
		}
		if err != nil {
			return withCode(ExitFailure, err)
		}
	case o.json:
		if err := writeJSON(e.stdout, inspect.Listings(fs, host.ByteOrder())); err != nil {
			return withCode(ExitFailure, err)
		}
	default:
		d.WriteText(e.stdout, host)
	}
	return unreadError(e, d.Unread)
}

// unreadError names on stderr the threads whose filters could not be
// read, but the last, which is the command's error (exit 125): what was
// read is shown, the whole cannot be vouched for. nil when every thread
// was read.
func unreadError(e *env, unread []error) error {
	if len(unread) == 0 {
		return nil
	}
	for _, err := range unread[:len(unread)-1] {
		fmt.Fprintf(e.stderr, "syscage: %v\n", err)
	}
	return withCode(ExitFailure, unread[len(unread)-1])
}
