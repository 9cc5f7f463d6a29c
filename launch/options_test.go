package launch

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/profile/oci"
)

func TestParseOpenRule(t *testing.T) {
	for spec, want := range map[string]OpenRule{
		"/etc":       {Path: "/etc"},
		"/etc:ro":    {Path: "/etc"},
		"/var/db:rw": {Path: "/var/db", Write: true},
	} {
		if got, err := ParseOpenRule(spec); err != nil || got != want {
			t.Errorf("ParseOpenRule(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"etc", "/etc:rx", "", ":rw"} {
		if _, err := ParseOpenRule(spec); err == nil || !strings.Contains(err.Error(), "want an absolute PATH") {
			t.Errorf("ParseOpenRule(%q): %v", spec, err)
		}
	}
}

func TestSetEnv(t *testing.T) {
	env := []string{"A=1", "B=2", "A=3"}
	got, err := SetEnv(env, "A=x=y")
	if err != nil || !slices.Equal(got, []string{"B=2", "A=x=y"}) {
		t.Errorf("SetEnv = %v, %v", got, err)
	}
	if !slices.Equal(env, []string{"A=1", "B=2", "A=3"}) {
		t.Errorf("SetEnv changed its argument: %v", env)
	}
	for _, kv := range []string{"A", "=1"} {
		if _, err := SetEnv(env, kv); err == nil {
			t.Errorf("SetEnv(%q) took it", kv)
		}
	}
}

func TestKeepFD(t *testing.T) {
	var c Cmd
	if err := c.KeepFD(2); err != nil || c.ExtraFiles != nil {
		t.Errorf("KeepFD(2): %v %v", err, c.ExtraFiles)
	}
	// A descriptor this process did not inherit is refused.
	if err := c.KeepFD(1000); err == nil {
		t.Error("KeepFD(1000) took a descriptor that is not open")
	}
}

func TestCrashSignal(t *testing.T) {
	for sig, want := range map[syscall.Signal]bool{syscall.SIGSEGV: true, syscall.SIGABRT: true, syscall.SIGTERM: false, syscall.SIGKILL: false, syscall.SIGSYS: false} {
		if CrashSignal(sig) != want {
			t.Errorf("CrashSignal(%v) = %v", sig, !want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, ""},
		{Options{Sandbox: true, RW: []string{"/tmp"}, Limits: "cpu=1", Timeout: time.Second, Report: "r.json"}, ""},
		{Options{AllCaps: true, DropCaps: true}, "--all-caps keeps every capability: drop --drop-caps and --cap"},
		{Options{AllCaps: true, Caps: []string{}}, "--all-caps keeps every capability: drop --drop-caps and --cap"},
		{Options{Timeout: time.Second}, "--rw, --limit, --timeout and --report need --sandbox"},
		{Options{Report: "r.json"}, "--rw, --limit, --timeout and --report need --sandbox"},
		{Options{Sandbox: true, KeepFDs: []int{3}}, "--sandbox closes every descriptor but 0-2: drop --keep-fd"},
		{Options{Sandbox: true, Caps: []string{"CAP_CHOWN"}}, "--sandbox runs CMD without capabilities: drop --all-caps and --cap"},
		{Options{ExecAllow: []string{"/bin/sh"}}, "--exec-allow needs --exec-once"},
		{Options{ExecOnce: true, ExecAllow: []string{"/bin/sh"}}, ""},
	} {
		err := tc.o.Check()
		var oe *OptionError
		if tc.want == "" && err != nil || tc.want != "" && (!errors.As(err, &oe) || err.Error() != tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestOptionsCapSet(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want []string
	}{
		{Options{}, oci.DefaultCaps},
		{Options{AllCaps: true}, CapNames()},
		{Options{DropCaps: true}, []string{}},
		{Options{Sandbox: true}, []string{}},
		{Options{DropCaps: true, Caps: []string{"CAP_CHOWN"}}, []string{"CAP_CHOWN"}},
	} {
		if got := tc.o.CapSet(); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("%+v: %q, want %q", tc.o, got, tc.want)
		}
	}
	// What Apply gives the program: the set, dropped but with AllCaps.
	var c Cmd
	o := Options{DropCaps: true, Caps: []string{"CAP_CHOWN"}}
	if err := o.Apply(&c); err != nil || !c.DropCaps || !slices.Equal(c.KeepCaps, []string{"CAP_CHOWN"}) {
		t.Errorf("Apply: %v, drop %v keep %q", err, c.DropCaps, c.KeepCaps)
	}
	o = Options{AllCaps: true}
	if err := o.Apply(&c); err != nil || c.DropCaps {
		t.Errorf("Apply with AllCaps: %v, drop %v", err, c.DropCaps)
	}
	o = Options{Sandbox: true}
	if err := o.Apply(&c); err != nil || !c.DropCaps || c.KeepCaps != nil || c.Sandbox == nil || !slices.Equal(c.Env, []string{"PATH=/usr/local/bin:/usr/bin:/bin"}) {
		t.Errorf("Apply with Sandbox: %v, drop %v keep %q sandbox %v env %q", err, c.DropCaps, c.KeepCaps, c.Sandbox, c.Env)
	}
}

func TestStatusLines(t *testing.T) {
	v := Violation{Name: "uname"}
	ev := TreeEvent{PID: 42, Comm: "sh", Violation: v}
	for _, tc := range []struct {
		s    Status
		want []string
	}{
		{Status{Exited: true}, nil},
		{Status{Signal: syscall.SIGTERM}, nil},
		{Status{Signal: syscall.SIGSYS, Seccomp: true, Violation: &v, Events: []TreeEvent{ev}},
			[]string{"app: 1 seccomp event(s) in its tree:", "  " + ev.String(), "app: killed by seccomp: " + v.String()}},
		{Status{Exited: true, Code: 3, Events: []TreeEvent{ev, ev}}, []string{"app: 2 seccomp event(s) in its tree:", "  " + ev.String(), "  " + ev.String()}},
	} {
		if got := tc.s.Lines("app"); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}
