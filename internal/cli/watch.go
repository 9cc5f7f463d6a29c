package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/hook"
	"github.com/syscage/syscage/internal/termtext"
)

type watchOptions struct {
	json      bool
	hook      string
	pid       int
	comm      string
	count     int
	fromStart bool
	timeout   time.Duration
	device    string
	source    string
	// --engine ebpf: live counts (watchcount.go).
	engine   string
	cgroup   string
	interval time.Duration
	top      int
	once     bool
}

func newWatchCmd(e *env) *cobra.Command {
	var o watchOptions
	c := &cobra.Command{
		Use:   "watch [--json] [--exec HOOK] [--pid PID | --comm NAME] | --engine ebpf {--pid PID | --cgroup PATH} [--interval D] [--top N] [--once]",
		Short: "Print seccomp violations as they happen, or count system calls live",
		Long: `Watch prints one line per seccomp record as the kernel logs it: a system call
a filter killed, logged, or (for filters installed with
SECCOMP_FILTER_FLAG_LOG) denied. It reads the audit netlink multicast group
(CAP_AUDIT_READ), which gets every record whether or not an audit daemon
runs, or else follows the kernel log (/dev/kmsg; root or CAP_SYSLOG).
With --json each line is a JSON object. This is an intrusion signal: a
confined program asking for what its profile does not allow.

--exec runs HOOK with "sh -c" for every event, with the event as JSON on its
standard input and SYSCAGE_SYSCALL, SYSCAGE_PID, SYSCAGE_COMM and
SYSCAGE_ACTION in its environment; watch waits for it and reports a failing
hook on standard error without stopping.

The kernel rate-limits its log (about ten records in a burst, then more
after five seconds), and with an audit daemon running the records go to the
daemon's log instead of the kernel log; the netlink group has neither
problem. Records lost before watch could read them are reported on
standard error.

Watch runs until interrupted, --count events were printed, or --timeout
passed; it exits 0. Started by systemd as a Type=notify service, it reports
ready (sd_notify READY=1) once it follows the log, so units ordered after it
start only when no record of theirs can be missed.

With --engine ebpf (root, or CAP_BPF and CAP_PERFMON; BTF; x86_64) watch
counts instead every system call that process PID and its descendants
(those alive and those they start, followed through fork and clone in
the kernel) or the tasks of the cgroup v2 directory PATH make, with the
eBPF engine of record, as a top-like table refreshed every --interval:
per ABI and call (x86_64, x86 and x32 each named by their own table;
i386's socketcall and ipc as the sub-calls they select), busiest first,
the calls per second since the last refresh and the total since watch
began. On a terminal the table is redrawn in place (--top rows, by
default as many as fit); otherwise each refresh prints a block, or with
--json a JSON line. The engine's loss counters are shown; a count that
may be short says so, and watch then exits 1. Watch ends with a final
table when the kernel reports that the tasks have all ended (for a
cgroup: it is empty again once a task was in it), on an interrupt or
SIGTERM, after --timeout, or with --once after one interval.`,
		Example: `  syscage watch
  syscage watch --json --comm nginx
  syscage watch --exec 'logger -t seccomp "$SYSCAGE_COMM: $SYSCAGE_SYSCALL"'
  syscage watch --engine ebpf --pid 1234
  syscage watch --engine ebpf --cgroup /sys/fs/cgroup/system.slice/nginx.service --json --interval 10s`,
		Args: cmdArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, args []string) error {
			switch o.engine {
			case "ebpf":
				return runWatchCounts(e, o, c.Flags().Changed)
			case "audit":
			default:
				return usagef("--engine %q: want audit (seccomp records) or ebpf (live counts)", o.engine)
			}
			for _, f := range []string{"cgroup", "interval", "top", "once"} {
				if c.Flags().Changed(f) {
					return usagef("--%s counts system calls: it needs --engine ebpf", f)
				}
			}
			return runWatch(e, o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "print each event (with --engine ebpf: the counts of each refresh) as a JSON line")
	f.StringVar(&o.hook, "exec", "", "run `HOOK` (sh -c) for each event, the event as JSON on stdin")
	pidVar(f, &o.pid, "only events of process `PID` (with --engine ebpf: count the calls of PID and its descendants)")
	f.StringVar(&o.comm, "comm", "", "only events of programs named `NAME` (comm or the base name of exe)")
	f.IntVar(&o.count, "count", 0, "stop after `N` events")
	f.BoolVar(&o.fromStart, "from-start", false, "begin with the records already in the kernel's buffer")
	f.DurationVar(&o.timeout, "timeout", 0, "stop after `D` (such as 30s)")
	f.StringVar(&o.source, "source", "auto", "where to read: netlink (the audit multicast group), kmsg (the kernel log) or auto")
	f.StringVar(&o.device, "device", "", "the kernel log device (default /dev/kmsg)")
	_ = f.MarkHidden("device")
	f.StringVar(&o.engine, "engine", "audit", "`ENGINE`: audit (the seccomp records of the audit group or kernel log) or ebpf (count every system call live; --pid or --cgroup)")
	f.StringVar(&o.cgroup, "cgroup", "", "with --engine ebpf: count the calls of the tasks of the cgroup v2 directory `PATH`")
	f.DurationVar(&o.interval, "interval", time.Second, "with --engine ebpf: refresh the counts every `D`")
	f.IntVar(&o.top, "top", 0, "with --engine ebpf: show the `N` busiest calls (default: all, or as many as fit the terminal)")
	f.BoolVar(&o.once, "once", false, "with --engine ebpf: print the counts after one interval and end")
	return c
}

// watchContext is the context of a watch: it ends on SIGINT or SIGTERM,
// or after timeout when that is positive.
func watchContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if timeout <= 0 {
		return ctx, stop
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, func() { cancel(); stop() }
}

func runWatch(e *env, o watchOptions) error {
	if o.count < 0 {
		return usagef("--count %d: must not be negative", o.count)
	}
	ctx, stop := watchContext(o.timeout)
	defer stop()
	if o.hook != "" {
		if err := hook.Check(o.hook); err != nil {
			return usagef("--exec %q: %v", o.hook, err)
		}
	}
	src, ok := map[string]audit.Source{"auto": audit.SourceAuto, "kmsg": audit.SourceKmsg, "netlink": audit.SourceNetlink}[o.source]
	if !ok {
		return usagef("--source %q: want auto, netlink or kmsg", o.source)
	}
	f, err := audit.Follow(audit.FollowOptions{Source: src, Path: o.device, FromStart: o.fromStart})
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			err = fmt.Errorf("%w (following the kernel log needs root or CAP_SYSLOG, the audit netlink group CAP_AUDIT_READ)", err)
		}
		return withCode(ExitFailure, err)
	}
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	defer f.Close()
	// Joined: from here on no record is missed (a service manager can
	// start what watch is meant to watch).
	if err := sdNotify("READY=1"); err != nil {
		fmt.Fprintf(e.stderr, "syscage: %v\n", err)
	}
	flt := audit.Filter{PID: o.pid, Comm: o.comm}
	if o.device == "" {
		flt = flt.SinceStart() // this machine's log: a running --pid's own records
	}
	n := 0
	var lost int64
	for o.count == 0 || n < o.count {
		ev, err := f.Next()
		if l := f.Lost(); l > lost {
			fmt.Fprintf(e.stderr, "syscage: %d kernel log records were overwritten before they could be read\n", l-lost)
			lost = l
		}
		switch {
		case errors.Is(err, os.ErrClosed):
			return nil
		case audit.Skippable(err):
			fmt.Fprintf(e.stderr, "syscage: %v\n", err)
			continue
		case err != nil:
			return withCode(ExitFailure, err)
		}
		if !flt.Match(&ev) {
			continue
		}
		n++
		js, err := json.Marshal(ev)
		if err != nil {
			return withCode(ExitFailure, err)
		}
		js = termtext.JSON(js)
		if o.json {
			fmt.Fprintf(e.stdout, "%s\n", js)
		} else {
			fmt.Fprintln(e.stdout, ev.Line())
		}
		if o.hook != "" {
			if err := hook.Run(o.hook, append(js, '\n'), ev.HookEnv(), e.stdout, e.stderr); err != nil {
				fmt.Fprintf(e.stderr, "syscage: hook for %s of pid %d: %v\n", ev.Name(), ev.PID, err)
			}
		}
	}
	return nil
}
