package ebpf

import (
	"context"

	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/record"
)

// Engine records a program: record.Run, Run, or AttachPID and
// AttachCgroup bound to their target (which ignore argv).
type Engine func(ctx context.Context, argv []string, o record.Options) (*record.Result, error)

// Choice is the engine Choose picked.
type Choice struct {
	Run Engine
	// Ptrace reports the ptrace engine (record.Run).
	Ptrace bool
	// Fallback says that "auto" chose the ptrace engine, and why
	// ("using the ptrace engine (--stops needs it)", or ": " and why
	// this engine cannot run); "" when it did not.
	Fallback string
}

// Choose picks the engine name names for a recording: "ptrace" (the
// default of a command), "ebpf" (the default, and the only engine, of a
// running process pid or of the cgroup directory cgroup), or "auto" (eBPF
// when Available, else ptrace, saying why); "" is the default. stops asks
// for one ptrace stop per call (record.Options.Stops). A combination that
// cannot record is an *record.OptionError.
func Choose(name string, stops bool, pid int, cgroup string) (Choice, error) {
	bad := func(format string, a ...any) (Choice, error) {
		return Choice{}, errs.Optionf(format, a...)
	}
	known := name == "" || name == "ptrace" || name == "ebpf" || name == "auto"
	if pid != 0 || cgroup != "" {
		flag := "--pid"
		if cgroup != "" {
			flag = "--cgroup"
		}
		switch {
		case stops:
			return bad("%s: --stops needs the ptrace engine, which follows only programs it starts", flag)
		case name == "ptrace":
			return bad("%s needs --engine ebpf: the ptrace engine follows only programs it starts", flag)
		case !known:
			return bad("--engine: %q is not ebpf, ptrace or auto", name)
		case cgroup != "":
			return Choice{Run: func(ctx context.Context, _ []string, o record.Options) (*record.Result, error) {
				return AttachCgroup(ctx, cgroup, o)
			}}, nil
		}
		return Choice{Run: func(ctx context.Context, _ []string, o record.Options) (*record.Result, error) {
			return AttachPID(ctx, pid, o)
		}}, nil
	}
	ptrace := Choice{Run: record.Run, Ptrace: true}
	switch {
	case !known:
		return bad("--engine: %q is not ebpf, ptrace or auto", name)
	case name == "" || name == "ptrace":
		return ptrace, nil
	case name == "ebpf" && stops:
		return bad("--engine ebpf: --stops needs the ptrace engine")
	case name == "ebpf":
		return Choice{Run: Run}, nil
	case stops:
		ptrace.Fallback = "using the ptrace engine (--stops needs it)"
		return ptrace, nil
	}
	if err := Available(); err != nil {
		ptrace.Fallback = "using the ptrace engine: " + err.Error()
		return ptrace, nil
	}
	return Choice{Run: Run}, nil
}
