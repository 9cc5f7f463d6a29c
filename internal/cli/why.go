package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
)

type whyOptions struct {
	profile string
	host    string
	pid     int
	comm    string
	since   string
	json    bool
	profileFlags
}

func newWhyCmd(e *env) *cobra.Command {
	var o whyOptions
	c := &cobra.Command{
		Use:   "why [--profile P] [--pid PID | --comm NAME] [--since T] [LOGFILE]",
		Short: "Say which system calls seccomp blocked or logged, and how to allow them",
		Long: `Why reads seccomp records (audit type 1326) and says which system calls were
blocked, killed or logged, for which program, grouped and counted.

The records come from LOGFILE, in any of these forms: the kernel log (dmesg,
/dev/kmsg, syslog's kern.log), auditd's audit.log (raw or enriched), or
'journalctl -o json' ("-" reads standard input). Without LOGFILE why reads
the kernel's log buffer now (/dev/kmsg, which needs root or CAP_SYSLOG);
with an audit daemon running, the records are in its audit.log instead.

With --profile, why also says what in the profile decided each call (a rule,
the default action, an architecture the profile does not cover, or ENOSYS
for numbers newer than the tables) and the change that would allow it, as a
profile rule and as systemd lines. Audit records carry no arguments, so for
calls with argument rules why lists the conditions.

--since takes a duration (10m: the last ten minutes), a date (2026-11-29) or
a time (2026-11-29T20:31:00Z, or "2026-11-29 20:31:00" in UTC).

Exit status 1 when there were matching records, 0 when there were none.`,
		Example: `  syscage why                                  # the kernel log, now
  syscage why --profile app.json --comm app    # and what in app.json blocked it
  syscage why --since 1h /var/log/audit/audit.log
  journalctl -o json -k | syscage why -`,
		Args: cmdArgs(cobra.MaximumNArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runWhy(e, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.profile, "profile", "p", "", "explain each call against `PROFILE` (a file or a built-in name)")
	f.StringVar(&o.host, "host", "", "native ABI of the kernel the profile runs on (default: this binary's)")
	pidVar(f, &o.pid, "only records of process `PID` (if it is running, those since it started: the kernel reuses ids)")
	f.StringVar(&o.comm, "comm", "", "only records of programs named `NAME` (comm or the base name of exe)")
	f.StringVar(&o.since, "since", "", "only records since `T` (a duration such as 10m, or a time)")
	f.BoolVar(&o.json, "json", false, "print JSON")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("host", completeArch)
	return c
}

func runWhy(e *env, o whyOptions, args []string) error {
	flt := audit.Filter{PID: o.pid, Comm: o.comm}
	if o.since != "" {
		t, err := audit.ParseSince(o.since, time.Now())
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("--since %w", err))
		}
		flt.Since = t
	}
	var p *profile.Profile
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	if o.profile != "" {
		if p, err = loadProfile(o.profile, host, o.profileFlags); err != nil {
			return withCode(ExitFailure, err)
		}
	}
	path := ""
	if len(args) == 1 {
		path = args[0]
	} else {
		flt = flt.SinceStart() // this machine's log: a running --pid's own records
	}
	var kept audit.Grouping
	source, skipped, err := audit.ReadLog(path, e.stdin, func(ev audit.Event) {
		if flt.Match(&ev) {
			kept.Add(&ev)
		}
	})
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "syscage: warning: %v\n", s)
	}
	if path == "" && errors.Is(err, os.ErrPermission) {
		err = fmt.Errorf("%w (reading the kernel log needs root or CAP_SYSLOG; or pass a log file)", err)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	out, err := audit.ExplainGroups(kept.Groups(), p, host)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if o.json {
		if err := audit.WriteExplanationsJSON(e.stdout, out); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		audit.WriteExplanations(e.stdout, out, kept.Len(), source)
	}
	if kept.Len() == 0 {
		if !o.json {
			fmt.Fprintf(e.stderr, "no seccomp records in %s%s\n", source, filterNote(o))
			if path == "" && audit.DaemonRunning() {
				fmt.Fprintf(e.stderr, "an audit daemon runs: the kernel sends the records to it instead of its log; try 'syscage why /var/log/audit/audit.log'\n")
			}
		}
		return nil
	}
	return silentExit(ExitFinding)
}

func filterNote(o whyOptions) string {
	var s []string
	if o.pid != 0 {
		s = append(s, "pid "+strconv.Itoa(o.pid))
	}
	if o.comm != "" {
		s = append(s, "comm "+o.comm)
	}
	if o.since != "" {
		s = append(s, "since "+o.since)
	}
	if len(s) == 0 {
		return ""
	}
	return " for " + strings.Join(s, ", ")
}
