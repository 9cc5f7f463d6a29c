package launch_test

import (
	"fmt"

	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile/oci"
)

// A program killed by its profile: the exit code is 128+SIGSYS, and the
// report names the call, its ABI, the action and the rule.
func ExampleCmd() {
	p, err := oci.Parse("trap.json", []byte(`{
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["uname"], "action": "SCMP_ACT_TRAP"}]
	}`))
	if err != nil {
		panic(err)
	}
	cmd := launch.Command(p, "uname", "-s")
	err = cmd.Run()
	fmt.Println(err)
	fmt.Println("exit status", cmd.Status.ExitCode())
	// Output:
	// killed by seccomp: uname (63 on x86_64) got TRAP from rule 1 of the profile (uname)
	// exit status 159
}
