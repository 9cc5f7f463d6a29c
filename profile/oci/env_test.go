package oci_test

import (
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile/oci"
)

func TestEnv(t *testing.T) {
	e := oci.Env(arch.X86_64, []string{"sys_admin", " CAP_NET_ADMIN ", "Cap_Bpf"}, "6.1")
	if want := []string{"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_BPF"}; !slices.Equal(e.Caps, want) || e.Arch != arch.X86_64 || e.Kernel != "6.1" {
		t.Errorf("Env = %+v, want caps %v", e, want)
	}
	if e := oci.Env(arch.X86_64, nil, ""); !slices.Equal(e.Caps, oci.DefaultCaps) {
		t.Errorf("no caps: %v, want Docker's default set", e.Caps)
	}
	if e := oci.Env(arch.X86_64, []string{}, ""); e.Caps == nil || len(e.Caps) != 0 {
		t.Errorf("an empty set: %v, want none", e.Caps)
	}
}
