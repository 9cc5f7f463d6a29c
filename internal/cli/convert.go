package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/spo"
	"github.com/syscage/syscage/profile/systemd"
)

type convertOptions struct {
	to         string
	from       string
	out        string
	arch       string
	ociConfig  string
	runtime    string
	podSnippet bool
	json       bool
	co         formats.ConvertOptions // --lossy, --name, --harden, ...
	profileFlags
}

func newConvertCmd(e *env) *cobra.Command {
	var o convertOptions
	c := &cobra.Command{
		Use:   "convert --to oci|lxc|systemd|spo [-o FILE] [--lossy] PROFILE",
		Short: "Convert a profile between Docker/OCI, LXC, systemd and Kubernetes formats",
		Long: `Convert reads PROFILE in any format syscage knows (Docker/OCI JSON or an OCI
config.json, an LXC policy, a systemd unit, drop-in or bare SystemCallFilter=
value, a security-profiles-operator SeccompProfile; the format is told from
the content, or given with --from) and writes it in the format --to names.

When the target cannot express the profile exactly (argument conditions in
systemd, an action the format lacks, Docker's capability conditions, other
ABIs than the format covers), convert lists every loss and exits 1 without
writing anything. --lossy writes the nearest form that is never more
permissive instead, and still lists the losses. Docker's includes,
excludes and archMap are resolved for --arch (default: this machine), the
capabilities of --cap (default: Docker's) and --kernel (default: this
host's) when the target cannot hold them.

--oci-config FILE puts the profile into an OCI runtime bundle's
config.json, keeping every other byte of it, in place (or into -o), with
what the runtime (--runtime, default runc) makes between loading the
filter and executing the container's program added where the profile
would deny it, as a rule whose comment gives the reasons (learned by
recording the runtime, per version); the calls added are listed on
stderr. --runtime none writes the profile as it is. --to spo
writes a SeccompProfile named --name in --namespace; --pod-snippet writes
the pod securityContext that uses it instead.

--harden writes the profile as 'syscage compile --harden' compiles it
(int arguments compared on the bits the kernel uses, socketcall and ipc
decided per sub-call, denials extended to the 32-bit twins, TIOCSTI,
TIOCLINUX and TIOCCONS denied), resolved for --arch: the hardened rules use only
MASKED_EQ comparisons, which every format with argument conditions holds.

Output is written atomically: on any error nothing is written.`,
		Example: `  syscage convert --to lxc docker-default
  syscage convert --to systemd -o seccomp.conf app.json
  syscage convert --to systemd --lossy app.json      # arguments dropped, never more permissive
  syscage convert --to oci --oci-config bundle/config.json app.seccomp
  syscage convert --to spo --name app --namespace web app.json
  syscage convert --to spo --name app --namespace web --pod-snippet app.json`,
		Args: cmdArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runConvert(e, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&o.to, "to", "", "target format: oci, lxc, systemd or spo")
	f.StringVar(&o.from, "from", "", "input format (default: told from the content)")
	f.StringVarP(&o.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&o.co.Lossy, "lossy", false, "write the nearest form that is never more permissive when the target cannot express the profile")
	addWidenFlag(f, &o.co.WidenABIs)
	f.StringVarP(&o.arch, "arch", "a", "", "host architecture to resolve Docker's conditions for (default: this machine's)")
	f.StringVar(&o.ociConfig, "oci-config", "", "patch linux.seccomp of this OCI config.json `FILE` (in place unless -o)")
	f.StringVar(&o.runtime, "runtime", "runc", "with --oci-config: add what the OCI runtime `NAME`'s init makes after loading the filter (runc), or none")
	f.StringVar(&o.co.Meta.Name, "name", "", "SeccompProfile name (default: PROFILE's base name)")
	f.StringVar(&o.co.Meta.Namespace, "namespace", "default", "SeccompProfile namespace")
	f.BoolVar(&o.podSnippet, "pod-snippet", false, "write the pod securityContext that uses the SeccompProfile")
	f.BoolVar(&o.co.WX, "wx", false, "deny memory writable and executable at once (mmap/mprotect/pkey_mprotect with PROT_WRITE|PROT_EXEC, shmat with SHM_EXEC: EPERM); resolves the profile for --arch")
	f.BoolVar(&o.json, "json", false, "print what was written and every loss as JSON on stdout (needs -o)")
	f.IntVar(&o.co.SystemdVersion, "systemd-version", 0, "write the unit for systemd `N`: names it cannot resolve are left out or refused (default: the host's, from systemctl --version, else 252)")
	f.BoolVar(&o.co.Harden, "harden", false, "close the holes lint reports (int arguments, socketcall/ipc, 32-bit twins, TIOCSTI); resolves the profile for --arch")
	addProfileFlags(c, &o.profileFlags)
	_ = c.RegisterFlagCompletionFunc("to", cobra.FixedCompletions(formats.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("from", cobra.FixedCompletions(formats.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	return c
}

func runConvert(e *env, o convertOptions, ref string) error {
	if o.to == "" {
		return usagef("convert needs --to (%s)", strings.Join(formats.Names(), ", "))
	}
	to, err := formats.ParseFormat(o.to)
	if err != nil {
		return usagef("--to: %v", err)
	}
	var from formats.Format
	if o.from != "" {
		if from, err = formats.ParseFormat(o.from); err != nil {
			return usagef("--from: %v", err)
		}
	}
	if o.ociConfig != "" && to != formats.OCI {
		return usagef("--oci-config goes with --to oci")
	}
	if o.runtime != "runc" && o.ociConfig == "" {
		return usagef("--runtime goes with --oci-config")
	}
	if o.podSnippet && to != formats.SPO {
		return usagef("--pod-snippet goes with --to spo")
	}
	if o.json && (o.out == "" || o.out == "-") {
		return usagef("--json prints the report on stdout: write the profile with -o FILE")
	}
	if o.json && (o.podSnippet || o.ociConfig != "") {
		return usagef("--json goes with a profile written to -o FILE, not --pod-snippet or --oci-config")
	}
	co := o.co
	if co.Meta.Name == "" {
		co.Meta.Name = spo.NameFromFile(ref)
	}
	if o.podSnippet {
		return writeOutput(e, o.out, spo.PodSnippet(co.Meta))
	}
	host, err := parseArchFlag(o.arch)
	if err != nil {
		return err
	}
	p, _, err := profiles.Open(ref, from)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if co.WidenABIs && to != formats.LXC {
		return usagef("--widen-abis goes with --to lxc")
	}
	if co.Env, err = o.profileFlags.env(host); err != nil {
		return err
	}
	if co.Host = host; to == formats.Systemd && co.SystemdVersion == 0 {
		co.SystemdVersion = systemd.HostVersion(context.Background(), runOutput)
	}
	dest := o.out
	if o.ociConfig != "" {
		if co.OCIConfig, err = os.ReadFile(o.ociConfig); err != nil {
			return withCode(ExitFailure, err)
		}
		co.OCIConfigName = o.ociConfig
		if co.Runtime, err = lookupRuntime(e, o.runtime); err != nil {
			return err
		}
		if dest == "" {
			dest = o.ociConfig
		}
	}
	c, err := formats.Convert(ref, p, to, co)
	reportHardened(e, ref, c.Hardened)
	reportRuntime(e, o.ociConfig, co.Runtime, c.RuntimeAdded)
	var le *profile.LossError
	switch {
	case errors.As(err, &le) && o.json:
		if err := writeJSON(e.stdout, c.Report("")); err != nil {
			return withCode(ExitFailure, err)
		}
		return silentExit(ExitFinding)
	case errors.As(err, &le):
		reportUnwritten(e, ref, c, co.Lossy)
		if to == formats.LXC && c.Profile != nil {
			sayWiden(e, c.Profile, host, co.WidenABIs)
		}
		return silentExit(ExitFinding)
	case err != nil:
		return withCode(ExitFailure, err)
	}
	if !o.json {
		if to == formats.LXC && c.Profile != nil {
			sayWidened(e, c.Profile, host, co.WidenABIs)
		}
		reportLosses(e, ref, string(to), c.Losses)
	}
	if err := writeOutput(e, dest, c.Data); err != nil || !o.json {
		return err
	}
	return writeJSON(e.stdout, c.Report(o.out))
}

// reportUnwritten lists what c's format cannot express of the profile
// ref, and says whether --lossy would write it.
func reportUnwritten(e *env, ref string, c *formats.Conversion, lossy bool) {
	fmt.Fprintf(e.stderr, "syscage: %s: %s cannot express %d part(s) of the profile:\n", ref, c.Format, len(c.Losses))
	printLosses(e, c.Losses)
	switch {
	case lossy:
		fmt.Fprintf(e.stderr, "syscage: nothing written, not even with --lossy\n")
	case c.LossyWrites:
		fmt.Fprintf(e.stderr, "syscage: nothing written; --lossy writes the nearest form that is never more permissive\n")
	default:
		fmt.Fprintf(e.stderr, "syscage: nothing written; --lossy cannot help here\n")
	}
}

// reportLosses lists the losses of a profile written with --lossy, the
// same way for every command that writes profiles.
func reportLosses(e *env, ref, to string, losses []profile.Loss) {
	if len(losses) == 0 {
		return
	}
	fmt.Fprintf(e.stderr, "syscage: %s: written for %s with %d loss(es), never more permissive:\n", ref, to, len(losses))
	printLosses(e, losses)
}

func printLosses(e *env, ls []profile.Loss) {
	for _, l := range ls {
		fmt.Fprintf(e.stderr, "  %s\n", l)
	}
}

// runOutput runs a program and returns its standard output.
func runOutput(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).Output()
}
