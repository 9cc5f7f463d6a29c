package seccomp_test

import (
	"testing"

	"github.com/syscage/syscage/seccomp"
)

// TestProbe checks the probe on the kernel CI runs (Linux 6.18, x86_64,
// IA32 emulation, no x32): every action and flag is there.
func TestProbe(t *testing.T) {
	f, err := seccomp.Probe()
	if err != nil {
		t.Fatal(err)
	}
	if !f.FilterSupported {
		t.Fatal("seccomp filter mode not detected")
	}
	for _, a := range []string{"kill_process", "kill_thread", "trap", "errno", "user_notif", "trace", "log", "allow"} {
		if !f.Actions[a] {
			t.Errorf("action %s not available", a)
		}
	}
	if len(f.ActionsAvail) != 8 {
		t.Errorf("actions_avail = %v", f.ActionsAvail)
	}
	for name, ok := range f.Flags {
		if !ok {
			t.Errorf("flag %s not supported", name)
		}
	}
	if len(f.Flags) != 6 {
		t.Errorf("probed %d flags, want 6", len(f.Flags))
	}
	if f.NotifSizes == nil || f.NotifSizes.Data != 64 || f.NotifSizes.Notif == 0 || f.NotifSizes.NotifResp == 0 {
		t.Errorf("notif sizes %+v", f.NotifSizes)
	}
	if f.Arch == "x86_64" && (len(f.Compat) == 0 || f.Compat[0] != "x86") {
		t.Errorf("compat arches %v, want x86 (IA32 emulation)", f.Compat)
	}
	if !f.ActionCache {
		t.Errorf("action cache not detected (%s)", f.ActionCacheSource)
	}
	if f.Mode != 0 {
		t.Errorf("the test process is filtered (mode %d): a test installed a filter in-process", f.Mode)
	}
}
