package launch

import (
	"slices"
	"strings"
	"syscall"
	"testing"
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
