package audit_test

import (
	"strings"
	"testing"

	"github.com/syscage/syscage/audit"
)

const benchLine = `5,341,142752766,-;audit: type=1326 audit(1795984285.343:4): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5457 comm=6D792070726F67 exe=2F746D702F696E73702F67656E2F6D792070726F67 sig=0 arch=c000003e syscall=63 compat=0 ip=0x40882e code=0x7ffc0000`

// BenchmarkParseLine parses one kernel log record; BenchmarkFields is
// the floor: splitting the same line into words.
func BenchmarkParseLine(b *testing.B) {
	b.SetBytes(int64(len(benchLine)))
	for i := 0; i < b.N; i++ {
		if _, ok, err := audit.ParseLine(benchLine); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkFields(b *testing.B) {
	b.SetBytes(int64(len(benchLine)))
	for i := 0; i < b.N; i++ {
		if len(strings.Fields(benchLine)) == 0 {
			b.Fatal()
		}
	}
}
