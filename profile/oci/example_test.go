package oci_test

import (
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

func Example() {
	p, err := oci.Parse("app.json", []byte(`{
		"defaultAction": "SCMP_ACT_ERRNO",
		"archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
		"syscalls": [
			{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["socket"], "action": "SCMP_ACT_ALLOW",
			 "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]},
			{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}}
		]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := p.Resolve(profile.Env{Arch: arch.X86_64, Caps: oci.DefaultCaps, Kernel: "6.18.0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range []arch.Arch{arch.X86_64, arch.X86} {
		t, err := r.Table(a, profile.TableOptions{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s (default %s):\n", a, t.Default)
		for _, e := range t.Syscalls {
			if len(e.Rules) == 0 {
				fmt.Printf("  %-10s %s\n", e.Name, e.Action)
				continue
			}
			for _, cr := range e.Rules {
				fmt.Printf("  %-10s %s if %v\n", e.Name, cr.Action, cr.Conds)
			}
		}
	}
	// Output:
	// x86_64 (default ERRNO(1)):
	//   read       ALLOW
	//   write      ALLOW
	//   socket     ALLOW if [arg0 == 0x1]
	//   socket     ALLOW if [arg0 == 0xa]
	//   exit_group ALLOW
	// x86 (default ERRNO(1)):
	//   read       ALLOW
	//   write      ALLOW
	//   socketcall ALLOW if [arg0 == 0x1]
	//   exit_group ALLOW
	//   socket     ALLOW if [arg0 == 0x1]
	//   socket     ALLOW if [arg0 == 0xa]
}
