package cli

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/inspect"
)

type compareFlags struct {
	host string
	json bool
	profileFlags
}

func (cf *compareFlags) add(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&cf.host, "host", "", "native ABI of the kernel (default: this binary's); profiles are compiled for it, raw filters read in its byte order")
	f.BoolVar(&cf.json, "json", false, "print JSON")
	addProfileFlags(c, &cf.profileFlags)
	_ = c.RegisterFlagCompletionFunc("host", completeArch)
}

type verifyOptions struct {
	pid     int
	timeout time.Duration
	compareFlags
	containersFlags
}

func newVerifyCmd(e *env) *cobra.Command {
	var o verifyOptions
	c := &cobra.Command{
		Use:   "verify --pid PID PROFILE | verify FILTERS PROFILE | verify --containers",
		Short: "Check that a process's live filters mean what a profile means",
		Long: `Verify reads the seccomp filters a running process really has (as 'syscage
dump' does) and checks that they decide every system call the way PROFILE
compiled here does: a comparison by meaning in the BPF emulator, not of
bytes, over every ABI syscage knows, every system-call number of each table
and those beyond it, and argument values at the boundaries of every
comparison either filter makes. Stacked filters are combined as the kernel
combines them. With --pid every thread is read: threads whose filters differ
(a thread that installed one without TSYNC) are checked and reported apart.
FILTERS instead of --pid is a directory written by 'syscage dump -o' or a
raw BPF file.

The agreement is proven, not sampled: values computed from the input (by
ALU operations, X, scratch memory) are followed exactly, and a filter that
leaves what syscage can follow exactly (two input words combined, a
verdict computed from the input) is reported as "cannot prove", naming the
instruction.

Exit status 0 when they agree, 1 listing every system call that differs
(and, where arguments matter, the values) or when agreement cannot be
proven, 125 when the filters or the profile cannot be read (also when a
thread does not stop within --timeout to have its filters read, or
another tracer holds it: the threads that could be read are reported,
and the others named with their state). A thread that has ended (a
zombie leader whose other threads run) is left out: it runs no more
system calls. This is drift detection: run it on every host of a fleet
against the profile the service should have.

With --containers, verify checks every running container of the node: the
containers of the OCI runtimes' state directories (--root), each against
the seccomp section of its bundle's config.json compiled as the runtime
loads it (runc's ENOSYS stub, without the names the runtime's libseccomp
lacks: --libseccomp), on every thread of every process of the container.
It prints one line per container: match, differs (naming the system
calls), unfiltered, cannot prove, stopped, or error; with --json one JSON
object per line per container, an attestation with the SHA-256 of every
filter each thread holds. Exit status 1 when any container differs,
cannot be proven, runs unfiltered while its config.json asks for a filter,
or cannot be read. See deploy/daemonset.yaml to run it on every node of a
Kubernetes cluster.`,
		Example: `  syscage verify --pid $(pidof nginx) docker-default
  syscage dump --pid 1234 -o live && syscage verify live app.json
  syscage verify --containers --json`,
		Args: cmdArgs(cobra.RangeArgs(0, 2)),
		RunE: func(c *cobra.Command, args []string) error {
			if o.containers {
				return runVerifyContainers(e, o, args, c.Flags().Changed("root"))
			}
			if len(args) == 0 {
				return usagef("verify takes --pid PID PROFILE, FILTERS PROFILE, or --containers")
			}
			return runVerify(e, o, args)
		},
	}
	pidVar(c.Flags(), &o.pid, "the process `PID`")
	c.Flags().DurationVar(&o.timeout, "timeout", inspect.DefaultTimeout, "with --pid, how long to wait for the threads to stop, all together (one in uninterruptible sleep, such as a vfork parent, does not)")
	o.compareFlags.add(c)
	o.containersFlags.add(c)
	return c
}

func runVerify(e *env, o verifyOptions, args []string) error {
	if (o.pid == 0) == (len(args) == 1) {
		return usagef("verify takes --pid PID PROFILE, or FILTERS PROFILE")
	}
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	var verdicts inspect.Verdicts
	var unread []error // threads whose filters could not be read
	var tasks []inspect.Task
	var live inspect.Stack
	if o.pid != 0 {
		tasks, err = inspect.DumpTasks(o.pid, inspect.DumpOptions{Timeout: o.timeout})
	} else {
		live, err = loadStack(args[0], host, o.profileFlags)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	subject := args[0]
	ref := args[len(args)-1]
	want, err := loadStack(ref, host, o.profileFlags)
	if err == nil && o.pid != 0 {
		verdicts, unread, err = inspect.VerifyTasks(o.pid, tasks, want)
	} else if err == nil {
		var v inspect.Verdict
		v, err = inspect.Verify(subject, live, want)
		verdicts = append(verdicts, v)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if o.json {
		if err := writeJSON(e.stdout, verdicts); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		verdicts.WriteText(e.stdout, ref)
	}
	if err := unreadError(e, unread); err != nil {
		return err
	}
	if !verdicts.Same() {
		return silentExit(ExitFinding)
	}
	return nil
}

func newDiffCmd(e *env) *cobra.Command {
	var o compareFlags
	c := &cobra.Command{
		Use:   "diff A B",
		Short: "Show where two profiles or filters decide system calls differently",
		Long: `Diff compares two profiles or filters by meaning: A and B are each a profile
(a file or a built-in name, compiled for --host), a raw BPF file (FILE.bpf)
or a directory written by 'syscage dump -o'. It runs both in the BPF
emulator over every ABI syscage knows, every system-call number of each
table and beyond, and argument values at the boundaries of every
comparison either makes, and lists per ABI and system call the verdicts
that differ, with the argument values where they change.

Exit status 0 when A and B mean the same, 1 when they differ.`,
		Example: `  syscage diff docker-default my-profile.json
  syscage diff old.bpf new.bpf`,
		Args: cmdArgs(cobra.ExactArgs(2)),
		RunE: func(c *cobra.Command, args []string) error {
			return runDiff(e, o, args)
		},
	}
	o.add(c)
	return c
}

func runDiff(e *env, o compareFlags, args []string) error {
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	a, err := loadStack(args[0], host, o.profileFlags)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	b, err := loadStack(args[1], host, o.profileFlags)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	c, err := inspect.Diff(a, b)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	c.Caveat(envCaveat(args, []string{"A", "B"}, o.profileFlags))
	if o.json {
		if err := writeJSON(e.stdout, c); err != nil {
			return withCode(ExitFailure, err)
		}
	} else {
		c.WriteText(e.stdout, args[0], args[1])
	}
	if !c.Same {
		return silentExit(ExitFinding)
	}
	return nil
}
