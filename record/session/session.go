// Package session records a program into a profile, as syscage record
// does: it picks the engine (record/ebpf's Choose), follows the target
// (a command, a running process, a cgroup, or an OCI bundle's container
// from its creation), records the training workloads into the same
// recording, and turns it into a profile: fused with the static analysis
// of the program (package fusion), the recording alone, or added to a
// known profile (record.Recording.AddTo).
package session

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/container"
	"github.com/syscage/syscage/record/ebpf"
)

// Options say what to record and how. Exactly one target: Argv, PID,
// Cgroup or Bundle.
type Options struct {
	// Argv is the command to run and record.
	Argv []string
	// PID is a running process to record with its descendants, until
	// they have ended (the eBPF engine).
	PID int
	// Cgroup is a cgroup v2 directory whose tasks are recorded until it
	// is empty again (the eBPF engine).
	Cgroup string
	// Bundle is an OCI bundle whose container is created with Runtime
	// (a runtime's name or path, default runc), followed from before its
	// init executes the container's program, and started.
	Bundle, Runtime string
	// Engine is "ptrace", "ebpf", "auto" or "" (ebpf.Choose).
	Engine string
	// Record are the recorder's options. Signals are what signal.Notify
	// delivers for record.ForwardSignals: they go to the program, and
	// once only tasks outside the trace remain they end the recording.
	// With Known the profile is Known with what the recording adds to it
	// (Recording.AddTo). Record's callbacks are set by Record.
	Record record.Options
	// KnownName names Record.Known in errors (its file).
	KnownName string
	// Default is the default action of a new profile (zero: ERRNO(EPERM)).
	Default profile.Action
	// Fuse fuses the recording with the static analysis of the program
	// and of Analyze (not with Known; not for a cgroup or a container,
	// which are no one program).
	Fuse bool
	// Analyze are more programs to analyse (those the command runs).
	Analyze []string
	// Risk overrides the risk classes (fusion.Options.Risk), NoConds
	// writes no argument conditions (fusion.Options.NoConds).
	Risk    map[string]bool
	NoConds bool
	// CacheDir caches the analysis of libraries (analyze.Options).
	CacheDir string
	// Train are more workloads of the command, recorded into the same
	// recording.
	Train [][]string
	// Notes, if set, receives what the session has to say as it goes,
	// one line each, as syscage record words it after its name
	// ("record: recording process 42 and its descendants (interrupt to
	// stop)", "warning: ...").
	Notes func(string)
}

// Check refuses targets that do not go together (a *record.OptionError).
func (o *Options) Check() error {
	bad := errs.Optionf
	switch {
	case o.Bundle != "" && (o.PID != 0 || o.Cgroup != "" || len(o.Argv) > 0 || len(o.Train) > 0):
		return bad("--bundle records the bundle's container: no CMD, --pid, --cgroup or --train")
	case o.Bundle != "":
	case o.PID != 0 && o.Cgroup != "":
		return bad("--pid and --cgroup exclude each other")
	case (o.PID != 0 || o.Cgroup != "") && len(o.Argv) > 0:
		return bad("--pid and --cgroup record what runs already; drop %q", o.Argv[0])
	case (o.PID != 0 || o.Cgroup != "") && len(o.Train) > 0:
		return bad("--train starts workloads of CMD; --pid and --cgroup record what runs already (record each workload of the running program in one recording instead)")
	case o.PID == 0 && o.Cgroup == "" && len(o.Argv) == 0:
		return bad("no command to record")
	}
	return nil
}

// Name names what o records, for the profile's comment and file name:
// the command (its program's name, never its arguments, which may hold
// secrets), "pid-N", "cgroup-DIR" or "container-BUNDLE".
func (o *Options) Name() string {
	switch {
	case o.Bundle != "":
		abs, _ := filepath.Abs(o.Bundle)
		return "container-" + filepath.Base(abs)
	case o.PID != 0:
		return "pid-" + strconv.Itoa(o.PID)
	case o.Cgroup != "":
		return "cgroup-" + filepath.Base(filepath.Clean(o.Cgroup))
	case len(o.Argv) > 0:
		return o.Argv[0]
	}
	return ""
}

// DefaultOutput is the file a profile of o goes to by default: the base
// name of Name with .seccomp and ext (".json"), in the current directory.
func (o *Options) DefaultOutput(ext string) string {
	base := filepath.Base(o.Name())
	if base == "." || base == "/" {
		base = "program"
	}
	return base + ".seccomp" + ext
}

// Outcome is what a session recorded and the profile it made.
type Outcome struct {
	// Name is what was recorded (Options.Name).
	Name string
	// Result is how the target ended; its Recording holds the training
	// workloads' calls too.
	Result *record.Result
	// Profile is the profile of the recording.
	Profile *profile.Profile
	// Additions are what the recording added to Known.
	Additions []record.Addition
	// Fusion is the fused profile with its reasons; nil unless fused.
	Fusion *fusion.Result
}

func (o *Options) note(format string, a ...any) {
	if o.Notes != nil {
		o.Notes(fmt.Sprintf(format, a...))
	}
}

// Record records what o names and makes its profile. A target that
// cannot be started wraps record.ErrNotFound or record.ErrNoExec; bad
// options are a *record.OptionError.
func Record(ctx context.Context, o Options) (*Outcome, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	name := o.Name()
	ctr, err := o.createContainer(ctx)
	if err != nil {
		return nil, err
	}
	if ctr != nil {
		defer ctr.Delete()
		o.PID = ctr.Pid
	}
	attach := o.PID != 0 || o.Cgroup != ""
	// program is what the static analysis reads: the command, or the
	// running program of PID (read now: it may end before the recording
	// does). A cgroup's tasks, or a container's init (runc, not yet the
	// container's program), are no one program.
	program := ""
	switch {
	case ctr != nil, o.Cgroup != "":
	case o.PID != 0:
		program, _ = os.Readlink("/proc/" + strconv.Itoa(o.PID) + "/exe")
	default:
		program = o.Argv[0]
	}
	fused := o.Fuse && o.Record.Known == nil
	if fused && program == "" {
		fused = false
		o.note("record: no program to analyze (%s): the profile is the recording alone, as with --dynamic-only", name)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ro := o.Record
	untraced := func() {}
	if ro.Signals != nil {
		ro.Signals, untraced = record.Relay(ctx, cancel, ro.Signals)
	}
	if attach {
		untraced() // an attached tree is not ours: a signal ends the recording
	}
	ro.OnUntraced = func(tids []int) {
		untraced()
		ids := ""
		if len(tids) > 0 {
			ids = fmt.Sprintf(" %v", tids)
		}
		o.note("record: the program has ended, but tasks it started outside the trace (CLONE_UNTRACED) still run under the recording filter%s; recording them until they end (interrupt to stop: the profile is then partial, and their later calls fail with ENOSYS)", ids)
	}
	what := fmt.Sprintf("process %d and its descendants", o.PID)
	if o.Cgroup != "" {
		what = "the tasks of cgroup " + o.Cgroup
	}
	if attach {
		ro.OnRecording = func() {
			o.note("record: recording %s with %s (interrupt to stop)", what, ebpf.Hook())
			o.startContainer(parent, ctr)
		}
		ro.OnWaiting = func() {
			o.note("record: cgroup %s has no task yet: waiting for the first to join", o.Cgroup)
		}
	}
	engine, err := ebpf.Choose(o.Engine, ro.Stops, o.PID, o.Cgroup)
	if err != nil {
		return nil, err
	}
	if engine.Fallback != "" {
		o.note("record: %s", engine.Fallback)
	}
	if fused {
		// Learn the arguments of the high-risk calls; clone3 hides its
		// flags behind a pointer, so the ptrace engine makes the program
		// use clone.
		ro.Args = true
		switch {
		case !fusion.High("clone3", o.Risk):
		case engine.Ptrace:
			ro.ENOSYS = []string{"clone3"}
		default:
			o.note("record: the eBPF engine cannot make clone3 fall back to clone: clone3, where seen, is allowed with any flags")
		}
	}
	res, err := engine.Run(ctx, o.Argv, ro)
	if err != nil {
		return nil, err
	}
	rec := res.Recording
	if attach && len(rec.Calls()) == 0 && len(rec.Unknown) == 0 {
		// An empty profile would deny everything: say why there is none.
		return nil, fmt.Errorf("record: %s made no system call while recorded (none ran, or the recording was interrupted first): no profile written", what)
	}
	for _, t := range o.Train {
		tr, err := engine.Run(ctx, t, ro)
		if err != nil {
			return nil, fmt.Errorf("--train %s: %w", t[0], err)
		}
		if tr.ExitCode != 0 {
			o.note("warning: --train %s ended with status %d (signal %d); what it did is recorded", t[0], tr.ExitCode, tr.Signal)
		}
		rec.Merge(tr.Recording)
	}
	comment := "recorded by syscage: " + name
	if rec.Partial {
		comment += " (partial: " + rec.Reason + ")"
	}
	out := &Outcome{Name: name, Result: res}
	switch {
	case fused:
		static := o.analyze(program)
		out.Fusion, err = fusion.Fuse(rec, static, fusion.Options{Default: o.Default, Comment: comment, Args: o.Record.Args, Risk: o.Risk, NoConds: o.NoConds})
		if err != nil {
			return nil, err
		}
		out.Profile = out.Fusion.Profile
	default:
		if out.Profile, out.Additions, err = rec.Into(o.Record.Known, rec.Native, record.ProfileOptions{Default: o.Default, Comment: comment}); err != nil {
			return nil, fmt.Errorf("%s: %w", o.KnownName, err)
		}
	}
	return out, nil
}

// createContainer makes the container of Bundle (nil without it), whose
// init process the recording follows.
func (o *Options) createContainer(ctx context.Context) (*container.Container, error) {
	if o.Bundle == "" {
		return nil, nil
	}
	rt := o.Runtime
	if rt == "" {
		rt = "runc"
	}
	path, err := exec.LookPath(rt)
	if err != nil {
		return nil, errs.Optionf("--runtime: %v", err)
	}
	c, err := container.Create(ctx, path, o.Bundle, o.Record.Stdout, o.Record.Stderr)
	if err != nil {
		return nil, err
	}
	o.note("record: container %s of %s created; its init is process %d", c.ID, o.Bundle, c.Pid)
	return c, nil
}

// startContainer lets the container run once the recording follows its
// init; if it cannot, the container is ended (and with it the
// recording).
func (o *Options) startContainer(ctx context.Context, c *container.Container) {
	if c == nil {
		return
	}
	if err := c.Start(ctx); err != nil {
		o.note("record: %v", err)
		_ = c.Delete()
	}
}

// analyze analyses program (looked up on PATH) and the Analyze ones; a
// program that cannot be analysed is a warning, and the profile stands
// on the recording alone for it.
func (o *Options) analyze(program string) []*analyze.Result {
	ao := analyze.Options{CacheDir: o.CacheDir}
	var out []*analyze.Result
	for _, p := range append([]string{program}, o.Analyze...) {
		path, err := exec.LookPath(p)
		if err != nil {
			o.note("warning: analyze %s: %v; the profile rests on the recording for it", p, err)
			continue
		}
		r, err := analyze.Analyze(path, ao)
		if err != nil {
			o.note("warning: %v; the profile rests on the recording for it (--dynamic-only says so)", err)
			continue
		}
		if len(r.Unresolved) > 0 {
			o.note("analyze %s: %d things could not be followed (syscage analyze %s lists them); the recording covers what they do in its workloads", path, len(r.Unresolved), path)
		}
		out = append(out, r)
	}
	return out
}

// Lines say, one line each, how the recorded program ended when it did
// not exit 0 ("app exited with status 3", "app was killed by SIGTERM"),
// and why the profile may lack calls when the recording is partial.
func (o *Outcome) Lines() []string {
	var out []string
	if ending := o.Result.String(); ending != "" {
		out = append(out, o.Name+" "+ending)
	}
	if rec := o.Result.Recording; rec.Partial {
		out = append(out, "the profile is partial: "+rec.Reason+"; it allows what was recorded, which may not be all")
	}
	return out
}
