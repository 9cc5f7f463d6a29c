package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/auditlog"
	"github.com/syscage/syscage/record/strace"
)

// importOptions are the flags shared by the import commands, and by
// record --from-log.
type importOptions struct {
	out string
	outFlags
	into string
	def  string
	arch string
	json bool
	profileFlags
}

func addImportFlags(c *cobra.Command, o *importOptions) {
	f := c.Flags()
	f.StringVarP(&o.out, "output", "o", "", "write the profile to `FILE` instead of stdout")
	f.StringVar(&o.into, "into", "", "add to the existing `PROFILE` instead of writing a new one")
	f.StringVar(&o.def, "default", "", "default `ACTION` of a new profile (default ERRNO(EPERM))")
	f.StringVarP(&o.arch, "arch", "a", "", "native ABI of the traced machine (default: this binary's)")
	f.BoolVar(&o.json, "json", false, "print the calls added (--into), unknown and skipped as JSON on stdout (the profile goes to -o or --into)")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	addOutFlags(c, &o.outFlags)
}

func newImportCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "import strace|audit ...",
		Short: "Turn strace output or seccomp audit logs into a profile",
		Long: `Import turns a record of what a program did into a profile: strace output
(import strace) or the seccomp records of the kernel and audit logs (import
audit). The profile allows the system calls found, on each ABI found, with
ERRNO(EPERM) as the default; with --into PROFILE they are added to an
existing profile instead (names the profile already allows are left alone,
names it denies are taken out of the denying rule).

Lines that look like input but cannot be read are reported with their file
and line and skipped; the profile is still written, and syscage exits 1.`,
		Args: cmdArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, args []string) error { return usagef("import what? (strace or audit)") },
	}
	c.AddCommand(newImportStraceCmd(e), newImportAuditCmd(e))
	return c
}

func newImportStraceCmd(e *env) *cobra.Command {
	var o importOptions
	c := &cobra.Command{
		Use:   "strace [-o OUT] [--into PROFILE] FILE...",
		Short: "Turn strace output into a profile",
		Long: `Import strace reads strace output: with or without -f, one file or the
per-process files of -ff (give them all), with timestamps, -i, -k, -y,
interrupted and resumed calls, and the tables of strace -c. A process's
calls are filed under x86 (i386) when strace says it runs in 32 bit mode,
or when it makes a call only the i386 table has (strace -o leaves the
mode notices out unless run with -e quiet=none). "-" reads stdin.`,
		Example: `  strace -f -o app.trace ./app && syscage import strace -o app.json app.trace
  strace -ff -o trace ./app && syscage import strace --into app.json trace.*`,
		Args: cmdArgs(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runImport(e, o, args, readStrace)
		},
	}
	addImportFlags(c, &o)
	return c
}

// importAuditOptions are import audit's flags: --pid, --comm and --exe
// are the filter of the records kept.
type importAuditOptions struct {
	importOptions
	audit.Filter
}

func newImportAuditCmd(e *env) *cobra.Command {
	var o importAuditOptions
	c := &cobra.Command{
		Use:   "audit [-o OUT] [--into PROFILE] [--exe PATH|--comm NAME|--pid PID] [FILE...]",
		Short: "Turn seccomp audit records into a profile",
		Long: `Import audit reads the seccomp records (type 1326) of the kernel log (dmesg,
/dev/kmsg, kern.log, journalctl), of auditd's audit.log (raw and enriched)
and of journalctl -o json, and allows each system call they name on its
ABI. Without FILE it reads the kernel's log buffer now (/dev/kmsg; root or
CAP_SYSLOG). --exe, --comm and --pid keep only one program's records, from
every source; the kernel log holds every program's records since boot, so
reading it takes one of them.

Only records the kernel wrote count: a line in which a program logged the
text of a record (logger, an audit USER message, journald's syslog
transport) is reported and skipped.

This is the harvest of complain mode: run a program under a profile whose
default action is LOG (or with SECCOMP_FILTER_FLAG_LOG), then import what
the kernel logged into that profile with --into.`,
		Example: `  syscage import audit --into app.json --exe /usr/bin/app /var/log/audit/audit.log
  journalctl -k -o json | syscage import audit --comm app -`,
		RunE: func(c *cobra.Command, args []string) error {
			return runImportAudit(e, o, args)
		},
	}
	addImportFlags(c, &o.importOptions)
	pidVar(c.Flags(), &o.PID, "keep only records of process `PID`")
	c.Flags().StringVar(&o.Comm, "comm", "", "keep only records of processes named `NAME`")
	c.Flags().StringVar(&o.Exe, "exe", "", "keep only records of the program `PATH`")
	return c
}

func readStrace(rec *record.Recording, name string, r io.Reader) ([]error, error) {
	return strace.Read(rec, name, r)
}

// runImportAudit is import audit and record --from-log: the records of
// the files, or of the kernel log without files, that o's filter keeps.
func runImportAudit(e *env, o importAuditOptions, files []string) error {
	flt := o.Filter
	if o.PID < 0 {
		return usagef("--pid %d: a process id is positive", o.PID)
	}
	if len(files) == 0 && flt.Empty() {
		return usagef("the kernel log holds the records of every program since boot: name the program with --exe, --comm or --pid, or give a log FILE")
	}
	return runImport(e, o.importOptions, files, auditlog.Reader(flt)) // no files: the kernel log
}

func runImport(e *env, o importOptions, files []string, read record.Reader) error {
	if err := checkProfileFormat(o.format); err != nil {
		return err
	}
	if err := newInto(e, &o.into, &o.out); err != nil {
		return err
	}
	if err := checkInto(o.into, &o.outFlags, o.out); err != nil {
		return err
	}
	if o.json && o.into == "" && (o.out == "" || o.out == "-") {
		return usagef("--json prints the report on stdout: write the profile with -o FILE or --into")
	}
	native, err := parseArchFlag(o.arch)
	if err != nil {
		return err
	}
	var def profile.Action
	if o.def != "" {
		if def, err = profile.ParseAction(o.def); err != nil {
			return usagef("--default: %v", err)
		}
	}
	rec := record.New(native)
	var skipped []error
	if len(files) == 0 {
		skipped, err = read(rec, "", nil) // import audit without FILE: the kernel's log buffer
	} else {
		skipped, err = rec.ReadFiles(files, e.stdin, read)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if o.into == "" && rec.Len() == 0 && len(rec.Unknown) == 0 {
		// A profile of nothing would deny everything: say so instead.
		sayLines(e, record.NewReport("", rec, nil, skipped).Lines())
		return withCode(ExitFinding, errors.New("no system calls in the input, and a profile of nothing would deny everything: nothing written"))
	}
	var known *profile.Profile
	if o.into != "" {
		if known, err = loadProfile(o.into, native, o.profileFlags); err != nil {
			return withCode(ExitFailure, err)
		}
	}
	p, adds, err := rec.Into(known, native, record.ProfileOptions{Default: def, Comment: "imported by syscage from " + strings.Join(files, " ")})
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("%s: %w", o.into, err))
	}
	if known != nil {
		if !o.json {
			reportAdditions(e, adds, "")
		}
		if o.out == "" {
			o.out = o.into
		}
	}
	data, err := formatProfile(e, p, native, o.outFlags, o.out)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if err := writeOutput(e, o.out, data); err != nil {
		return withCode(ExitFailure, err)
	}
	report := record.NewReport(o.out, rec, adds, skipped)
	if o.json {
		if err := writeJSON(e.stdout, report); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		sayLines(e, report.Lines())
	}
	if n := errs.CountSkipped(skipped); n > 0 {
		return withCode(ExitFinding, fmt.Errorf("%d line%s skipped", n, plural(n)))
	}
	if n := record.NotAdded(adds); n > 0 {
		return withCode(ExitFinding, fmt.Errorf("%d system calls not added", n))
	}
	return nil
}

// sayLines prints lines on stderr, each after the program's name.
func sayLines(e *env, lines []string) {
	for _, l := range lines {
		fmt.Fprintf(e.stderr, "syscage: %s\n", l)
	}
}

// plural is the ending of a count's noun: "" for one, else "s".
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
