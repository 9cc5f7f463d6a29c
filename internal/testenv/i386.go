package testenv

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/syscage/syscage/internal/unix"
)

// NoI386Env, when set, makes RunsI386 answer as on a kernel that refuses
// i386 programs, so that the suite's behaviour there can be tried on any
// machine.
const NoI386Env = "SYSCAGE_TEST_NO_I386"

// i386Refused is the reason given when the kernel will not run i386
// programs: no package provides what is missing, so tests skip.
const i386Refused = "this kernel refuses i386 programs (%s): IA32 emulation is off " +
	"(ia32_emulation=0 on the kernel command line, CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y " +
	"without ia32_emulation=1, or no CONFIG_IA32_EMULATION)"

var i386Once struct {
	sync.Once
	ok  bool
	why string
	err error
}

// RunsI386 reports whether this machine runs i386 programs: an x86_64
// kernel that executes a static i386 ELF file, whose int 0x80 system
// calls work. The kernel is probed once per test binary. With
// SYSCAGE_TEST_NO_I386 set it reports false, as a kernel that refuses
// i386 programs would. If the probe itself breaks (not a refusal of the
// program), the test fails.
func RunsI386(t testing.TB) bool {
	t.Helper()
	ok, _ := runsI386(t)
	return ok
}

// NeedI386 skips the test unless RunsI386, naming the kernel setting that
// is missing.
func NeedI386(t testing.TB) {
	t.Helper()
	if ok, why := runsI386(t); !ok {
		t.Skipf("%s", why)
	}
}

func runsI386(t testing.TB) (bool, string) {
	t.Helper()
	if os.Getenv(NoI386Env) != "" {
		return false, fmt.Sprintf(i386Refused, NoI386Env+" is set")
	}
	if runtime.GOARCH != "amd64" {
		return false, "i386 programs run on x86_64 kernels only, this is " + runtime.GOARCH
	}
	ok, why, err := kernelRunsI386()
	if err != nil {
		t.Fatalf("probe whether the kernel runs i386 programs: %v", err)
	}
	return ok, why
}

// kernelRunsI386 probes the kernel once, whatever SYSCAGE_TEST_NO_I386
// says.
func kernelRunsI386() (ok bool, why string, err error) {
	i386Once.Do(func() {
		i386Once.ok, i386Once.err = unix.ProbeI386()
		if !i386Once.ok && i386Once.err == nil {
			i386Once.why = fmt.Sprintf(i386Refused, "executing a static i386 ELF file: "+syscall.ENOEXEC.Error())
		}
	})
	return i386Once.ok, i386Once.why, i386Once.err
}
