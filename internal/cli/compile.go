package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/seccomp"
)

type compileOptions struct {
	arch    string
	out     string
	format  string
	so      seccomp.Options // --no-enosys
	badArch string
	verbose bool
	weights string
	harden  bool
	profileFlags
}

func newCompileCmd(e *env) *cobra.Command {
	var o compileOptions
	c := &cobra.Command{
		Use:   "compile [-a ARCH] [-o FILE] [--format raw|text|c|go] PROFILE",
		Short: "Compile a profile to a seccomp BPF filter",
		Long: `Compile turns a profile (a file in any format syscage reads: Docker/OCI
seccomp JSON or an OCI config.json, an LXC policy, a systemd unit, drop-in
or SystemCallFilter= value, a SeccompProfile; or a built-in name such as
docker-default) into a seccomp classic-BPF filter for a kernel whose
native ABI is ARCH (default: this binary's). The filter covers ARCH and the
profile's architectures; Docker's archMap, includes and excludes are
resolved for ARCH, the capabilities given with --cap (default: Docker's
default set) and the kernel given with --kernel.

Formats:
  raw   the kernel's struct sock_filter array, as seccomp(2) and
        'bwrap --seccomp FD' take it (the default with -o)
  text  annotated disassembly (the default on a terminal)
  c     a C array of struct sock_filter
  go    Go source: a []unix.SockFilter

System calls newer than syscage's tables get ENOSYS so that glibc falls
back, as with runc; --no-enosys turns that off.

--harden compiles the profile as 'syscage lint' would have it fixed:
comparisons of int arguments look at the bits the kernel uses only (the
kernel truncates socket's family to 32 bits: socket(0x100000028) is
socket(AF_VSOCK)), socketcall and ipc are decided per sub-call (denied
for sub-calls whose rules compare arguments), a denial of setuid also
denies setuid32 (and the other 32-bit twins), and ioctl's TIOCSTI and
TIOCLINUX are denied. What changed is listed on stderr. The output is written
atomically: on any error nothing is written.`,
		Example: `  syscage compile docker-default                   # disassembly
  syscage compile -o docker.bpf docker-default     # raw BPF for bwrap --seccomp
  syscage compile -a aarch64 --format c profile.json
  syscage compile --format go -o filter.go profile.json`,
		Args: cmdArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runCompile(e, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVarP(&o.arch, "arch", "a", "", "native ABI of the target kernel (default: this binary's)")
	f.StringVarP(&o.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.StringVar(&o.format, "format", "", "raw, text, c or go (default: raw with -o, else text)")
	f.BoolVar(&o.so.NoENOSYS, "no-enosys", false, "do not return ENOSYS for system calls newer than the tables")
	f.StringVar(&o.weights, "weights", "", "system-call frequency `FILE` (\"name count\" lines) to shape the decision tree")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "list the names each architecture lacks")
	f.BoolVar(&o.harden, "harden", false, "close the holes lint reports: int arguments, socketcall/ipc, 32-bit twins, TIOCSTI")
	f.StringVar(&o.badArch, "bad-arch", "", "action for ABIs the filter does not cover (default KILL_THREAD, as libseccomp)")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(seccomp.OutputFormats, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func addProfileFlags(c *cobra.Command, pf *profileFlags) {
	f := c.Flags()
	f.StringSliceVar(&pf.caps, "cap", nil, "capabilities for Docker's includes/excludes (default: Docker's default set)")
	f.StringVar(&pf.kernel, "kernel", "", "kernel version for Docker's minKernel (default: this host's)")
	f.BoolVar(&pf.strict, "strict", false, "fail on system-call names unknown on a covered architecture")
}

// compileProfile loads ref and compiles it for the --arch of the
// command; when e is not nil, hardened first (see package harden), the
// changes said on e's stderr.
func compileProfile(e *env, ref, archFlag string, pf profileFlags, o seccomp.Options) (*seccomp.Filter, error) {
	host, err := parseArchFlag(archFlag)
	if err != nil {
		return nil, err
	}
	p, err := loadProfile(ref, host, pf)
	if err != nil {
		return nil, err
	}
	if e != nil {
		h, changes, err := harden.Profile(p, host)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		reportHardened(e, ref, changes)
		p = h
	}
	o.Strict = pf.strict
	f, err := seccomp.Compile(p, host, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return f, nil
}

// reportHardened lists what hardening changed.
func reportHardened(e *env, ref string, changes []harden.Change) {
	for _, c := range changes {
		fmt.Fprintf(e.stderr, "syscage: %s: harden: %s\n", ref, c)
	}
}

func runCompile(e *env, o compileOptions, ref string) error {
	format := o.format
	if format == "" {
		format = "text"
		if o.out != "" && o.out != "-" {
			format = "raw"
		}
	}
	of, err := seccomp.ParseOutputFormat(format)
	if err != nil {
		return usagef("%v", err)
	}
	so := o.so
	if o.badArch != "" {
		a, err := profile.ParseAction(o.badArch)
		if err != nil {
			return usagef("--bad-arch: %v", err)
		}
		so.BadArch = a
	}
	if o.weights != "" {
		if so.Weights, err = seccomp.ReadWeights(o.weights); err != nil {
			return withCode(ExitFailure, err)
		}
	}
	var he *env // hardening reports to e
	if o.harden {
		he = e
	}
	f, err := compileProfile(he, ref, o.arch, o.profileFlags, so)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	warnSkipped(e, f, o.verbose)
	return writeOutput(e, o.out, f.Output(of, ref))
}

// warnSkipped reports names the profile uses that a covered ABI lacks
// (seccomp.Filter.WriteUnknown): the likely typos always, the names of
// other ABIs with verbose.
func warnSkipped(e *env, f *seccomp.Filter, verbose bool) {
	f.WriteUnknown(e.stderr, "syscage: ", verbose)
}
