package cli

import (
	"encoding/json"
	"errors"
	"fmt"
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

The process is stopped for the moment it takes. Dump needs root
(CAP_SYS_ADMIN and the right to ptrace the process) and must not run under
a seccomp filter itself; the kernel needs CONFIG_CHECKPOINT_RESTORE. A
process in a container is dumped from the host by its host pid.

Exit status 0 when the filters were read, 1 when the process has none,
125 when they cannot be read.`,
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
	f.DurationVar(&o.timeout, "timeout", inspect.DefaultTimeout, "how long to wait for the process to stop (one in uninterruptible sleep, such as a vfork parent, does not)")
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
	fs, err := inspect.Dump(o.pid, inspect.DumpOptions{Timeout: o.timeout})
	if errors.Is(err, inspect.ErrNoFilter) {
		// Not a failure: the answer is that there is nothing to dump.
		if o.json {
			fmt.Fprintln(e.stdout, "[]")
		} else {
			fmt.Fprintf(e.stdout, "pid %d has no seccomp filter\n", o.pid)
		}
		return silentExit(ExitFinding)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if o.out != "" {
		paths, err := inspect.WriteDir(o.out, fs, host.ByteOrder())
		for i, path := range paths {
			fmt.Fprintf(e.stdout, "%s: %d instructions%s\n", path, len(fs[i].Program), logNote(fs[i]))
		}
		if err != nil {
			return withCode(ExitFailure, err)
		}
		return nil
	}
	if o.json {
		type jf struct {
			Index        int      `json:"index"`
			Log          bool     `json:"log"`
			Instructions []string `json:"instructions"`
		}
		var out []jf
		for _, f := range fs {
			lines := strings.Split(strings.TrimRight(bpf.Disassemble(f.Program, bpf.DisasmOptions{Order: host.ByteOrder()}), "\n"), "\n")
			out = append(out, jf{Index: f.Index, Log: f.Log, Instructions: lines})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return withCode(ExitFailure, err)
		}
		return nil
	}
	arches := append([]arch.Arch{host}, host.Compat()...)
	for i, f := range fs {
		if i > 0 {
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
	return nil
}

func logNote(f inspect.Filter) string {
	if f.Log {
		return ", installed with SECCOMP_FILTER_FLAG_LOG"
	}
	return ""
}
