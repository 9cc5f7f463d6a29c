package audit_test

import (
	"fmt"
	"strings"

	"github.com/syscage/syscage/audit"
)

func Example() {
	log := `[  142.752751] audit: type=1326 audit(1795984285.335:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5452 comm="gen" exe="/tmp/gen" sig=0 arch=c000003e syscall=63 compat=0 ip=0x40882e code=0x7ffc0000
[  142.752762] EXT4-fs (vda): re-mounted
[  142.752797] audit: type=1326 audit(1795984285.343:5): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5457 comm=6D792070726F67 exe=2F746D702F6D792070726F67 sig=31 arch=40000003 syscall=64 compat=1 ip=0xf7f745e9 code=0x80000000
`
	events, _, err := audit.ReadAll(strings.NewReader(log), "dmesg")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range events {
		fmt.Printf("%s pid %d %q: %s %s -> %s\n", e.Time.Format("15:04:05.000"), e.PID, e.Comm, e.ArchName(), e.Name(), e.Action())
	}
	// Output:
	// 20:31:25.335 pid 5452 "gen": x86_64 uname -> LOG
	// 20:31:25.343 pid 5457 "my prog": x86 getppid -> KILL_PROCESS
}
