package launch_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
)

// The child reports whether it is dumpable before and after Undumpable
// (never called in the test process itself).
func init() {
	testenv.Program("undumpable", func() {
		get := func() uintptr {
			v, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0)
			return v
		}
		before := get()
		err := launch.Undumpable()
		fmt.Printf("%d %d %v\n", before, get(), err)
	})
}

func TestUndumpable(t *testing.T) {
	out, err := testenv.Command("undumpable").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "1 0 <nil>" {
		t.Errorf("dumpable before and after, error: %q, want \"1 0 <nil>\"", got)
	}
	if v, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0); v != 1 {
		t.Errorf("the test process is not dumpable (%d)", v)
	}
}
