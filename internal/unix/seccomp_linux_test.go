package unix

import (
	"errors"
	"testing"
)

// These probes pass NULL or read-only arguments: none installs a filter.
func TestSeccompProbes(t *testing.T) {
	if err := ProbeFlags(0); !errors.Is(err, EFAULT) {
		t.Skipf("no seccomp filter mode: seccomp(SET_MODE_FILTER, 0, NULL) = %v, want EFAULT", err)
	}
	if err := ProbeFlags(1 << 31); !errors.Is(err, EINVAL) {
		t.Errorf("unknown flag: %v, want EINVAL", err)
	}
	if err := ActionAvail(0x7fff0000); err != nil { // SECCOMP_RET_ALLOW
		t.Errorf("ActionAvail(ALLOW) = %v", err)
	}
	if err := ActionAvail(0x00010000); !errors.Is(err, EOPNOTSUPP) && !errors.Is(err, EINVAL) {
		t.Errorf("ActionAvail(0x00010000) = %v, want EOPNOTSUPP (EINVAL before 4.14)", err)
	}
	if s, err := GetNotifSizes(); err == nil && s.Data != 64 {
		t.Errorf("seccomp_data is %d bytes, want 64", s.Data)
	}
	if mode, err := SeccompMode(); err != nil || mode < 0 || mode > 2 {
		t.Errorf("SeccompMode() = %d, %v", mode, err)
	}
	if _, err := SetFilter(nil, 1<<31); !errors.Is(err, EINVAL) {
		t.Errorf("SetFilter with an unknown flag: %v, want EINVAL", err)
	}
}

func TestFilterFlagsNoProcess(t *testing.T) {
	if _, err := FilterFlags(1<<30, 0); !errors.Is(err, ESRCH) && !errors.Is(err, EPERM) {
		t.Errorf("FilterFlags of a missing process: %v, want ESRCH", err)
	}
}

func TestUname(t *testing.T) {
	rel, machine, err := Uname()
	if err != nil || rel == "" || machine == "" {
		t.Errorf("Uname() = %q, %q, %v", rel, machine, err)
	}
}
