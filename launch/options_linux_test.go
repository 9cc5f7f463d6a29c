package launch_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// TestOptionsApplyEnv runs the state target with the environment Options
// give it: Env set in Environ (a later K replacing an earlier), or alone
// with ClearEnv.
func TestOptionsApplyEnv(t *testing.T) {
	allow := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`)
	for _, tc := range []struct {
		name string
		o    launch.Options
		want []string
	}{
		{"set in Environ", launch.Options{Environ: []string{testenv.Env("state"), "A=1", "C=4"}, Env: []string{"A=2", "B=3"}},
			[]string{testenv.Env("state"), "C=4", "A=2", "B=3"}},
		{"cleared", launch.Options{Environ: []string{"SECRET=x"}, ClearEnv: true, Env: []string{testenv.Env("state")}},
			[]string{testenv.Env("state")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, stdout, stderr := selfCmd(t, allow, "state")
			if err := tc.o.Apply(cmd); err != nil {
				t.Fatal(err)
			}
			if s := runState(t, cmd, stdout, stderr); !slices.Equal(s.Env, tc.want) {
				t.Errorf("environment %q, want %q", s.Env, tc.want)
			}
		})
	}
}

// TestOptionsApplyErrors: values that name nothing are OptionErrors
// naming the option.
func TestOptionsApplyErrors(t *testing.T) {
	for _, tc := range []struct {
		o    launch.Options
		want string
	}{
		{launch.Options{AllowOpen: []string{"etc"}}, "--allow-open "},
		{launch.Options{IgnoreSignals: []string{"KILL"}}, "--ignore-signal SIGKILL cannot be ignored"},
		{launch.Options{IgnoreSignals: []string{"NOSUCH"}}, "--ignore-signal "},
		{launch.Options{Caps: []string{"CAP_NOSUCH"}}, "--cap: "},
		{launch.Options{Sandbox: true, Limits: "cpu=x"}, "--limit: "},
		{launch.Options{Env: []string{"NOEQUALS"}}, "--env "},
		{launch.Options{KeepFDs: []int{1000}}, "--keep-fd 1000: "},
	} {
		err := tc.o.Apply(launch.Command(nil, "true"))
		var oe *launch.OptionError
		if !errors.As(err, &oe) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an OptionError %q", tc.o, err, tc.want)
		}
	}
}

// TestOptionsPrepare: what the launch adds to a profile is named, and
// does what it says (WX denies mmap of writable, executable memory; the
// hardened profile denies TIOCSTI).
func TestOptionsPrepare(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mmap", "ioctl", "read"], "action": "SCMP_ACT_ALLOW"}]}`)
	host, _ := arch.Native()
	o := launch.Options{Harden: true, WX: true}
	q, added, err := o.Prepare(p, host)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--harden (--harden=false leaves it out)", "--memory-deny-write-execute"}; !slices.Equal(added, want) {
		t.Errorf("added %q, want %q", added, want)
	}
	mmap, _ := host.SyscallNumber("mmap")
	ioctl, _ := host.SyscallNumber("ioctl")
	for _, tc := range []struct {
		nr     uint32
		args   [6]uint64
		before bool
		after  bool
	}{
		{mmap, [6]uint64{0, 4096, 0x6}, true, false}, // PROT_WRITE|PROT_EXEC
		{mmap, [6]uint64{0, 4096, 0x3}, true, true},
		{ioctl, [6]uint64{0, 0x5412}, true, false}, // TIOCSTI
		{ioctl, [6]uint64{0, 0x5401}, true, true},  // TCGETS
	} {
		for _, c := range []struct {
			p    *profile.Profile
			want bool
		}{{p, tc.before}, {q, tc.after}} {
			v, err := profile.Evaluate(c.p, host, profile.Data{Nr: tc.nr, Arch: host.Audit(), Args: tc.args})
			if err != nil || v.Permits() != c.want {
				t.Errorf("call %d %#x: permitted %v (%v), want %v", tc.nr, tc.args, v.Permits(), err, c.want)
			}
		}
	}
	if _, added, _ := (&launch.Options{}).Prepare(p, host); added != nil {
		t.Errorf("nothing asked: added %q", added)
	}
}

// TestOptionsCompileComplain: in complain mode the filter logs what the
// profile denies, and calls of ABIs it does not cover, instead of
// denying them.
func TestOptionsCompileComplain(t *testing.T) {
	host := arch.X86_64
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`)
	uname, _ := arch.X86_64.SyscallNumber("uname")
	for _, complain := range []bool{false, true} {
		o := launch.Options{Complain: complain}
		run, f, err := o.Compile(p, host, seccomp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := profile.ActErrno
		if complain {
			want = profile.ActLog
		}
		if v, err := profile.Evaluate(run, arch.X86_64, profile.Data{Nr: uname, Arch: arch.X86_64.Audit()}); err != nil || v.Kind != want {
			t.Errorf("complain %v: the profile gives uname %v (%v), want %v", complain, v, err, want)
		}
		for _, d := range []seccomp.Data{seccomp.DataFor(arch.X86_64, uname), seccomp.DataFor(arch.AARCH64, 160)} {
			ret, _, err := f.Eval(arch.X86_64, d)
			if err != nil || (seccomp.ActionOf(ret).Kind == profile.ActLog) != complain {
				t.Errorf("complain %v: the filter returns %#x (%v) for %+v", complain, ret, err, d)
			}
		}
	}
}
