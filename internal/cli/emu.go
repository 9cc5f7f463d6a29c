package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/seccomp"
)

type emuOptions struct {
	arch  string
	host  string
	json  bool
	so    seccomp.Options // --no-enosys
	quiet bool
	profileFlags
}

func newEmuCmd(e *env) *cobra.Command {
	var o emuOptions
	c := &cobra.Command{
		Use:   "emu [-a ARCH] PROFILE|FILE.bpf SYSCALL [ARG...]",
		Short: "Run a filter on one system call and show the verdict and the path",
		Long: `Emu runs a filter in syscage's BPF emulator on one system call, as a task of
ABI ARCH would make it, and prints the action and every instruction
executed. The filter is a profile (compiled here for --host) or a raw BPF
file (a name ending in .bpf). SYSCALL is a name or a number; ARGs are
numbers (decimal, 0x hex, or negative after "--", as in the example).

For a profile, emu also checks the verdict against the profile's reference
verdict (plain-Go semantics, independent of the compiler; "reference" in
--json) and fails with exit 125 if the compiled filter disagrees.`,
		Example: `  syscage emu docker-default uname
  syscage emu docker-default personality 0xffffffff
  syscage emu -a x86 docker-default socketcall 1
  syscage emu -a aarch64 --host aarch64 profile.json clone3
  syscage emu filter.bpf 59
  syscage emu docker-default personality -- -1`,
		Args: cmdArgs(cobra.RangeArgs(2, 8)),
		RunE: func(c *cobra.Command, args []string) error {
			return runEmu(e, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.arch, "arch", "a", "", "ABI of the calling task (default: --host)")
	f.StringVar(&o.host, "host", "", "native ABI of the kernel the profile is compiled for (default: this binary's)")
	f.BoolVar(&o.json, "json", false, "print JSON")
	f.BoolVar(&o.so.NoENOSYS, "no-enosys", false, "compile without the ENOSYS answer for system calls newer than the tables")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the action")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	_ = c.RegisterFlagCompletionFunc("host", completeArch)
	return c
}

func runEmu(e *env, o emuOptions, args []string) error {
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	abi := host
	if o.arch != "" {
		if abi, err = parseArchFlag(o.arch); err != nil {
			return withCode(ExitUsage, err)
		}
	}
	nr, name, err := abi.ParseSyscall(args[1])
	if err != nil {
		return withCode(ExitUsage, err)
	}
	vals, err := seccomp.ParseArgs(args[2:])
	if err != nil {
		return usagef("%v", err)
	}
	ref := args[0]
	var res *seccomp.Trace
	if strings.HasSuffix(ref, ".bpf") {
		prog, err := inspect.ReadBPF(ref, abi.ByteOrder())
		if err != nil {
			return withCode(ExitFailure, err)
		}
		res, err = seccomp.Emulate(prog, nil, abi, nr, name, vals)
		if err != nil {
			return withCode(ExitFailure, fmt.Errorf("%s: %w", ref, err))
		}
	} else {
		p, err := loadProfile(ref, host, o.profileFlags)
		if err != nil {
			return withCode(ExitFailure, err)
		}
		o.so.Strict = o.strict
		if res, err = seccomp.EmulateProfile(p, host, o.so, abi, nr, name, vals); err != nil {
			return withCode(ExitFailure, fmt.Errorf("%s: %w", ref, err))
		}
	}
	switch {
	case o.json:
		if err := writeJSON(e.stdout, res); err != nil {
			return withCode(ExitFailure, err)
		}
	case o.quiet:
		fmt.Fprintln(e.stdout, res.Action)
	default:
		fmt.Fprint(e.stdout, res.Text())
	}
	if err := res.Mismatch(); err != nil {
		return withCode(ExitFailure, err)
	}
	return nil
}
