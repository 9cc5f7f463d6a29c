package seccomp_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Filters are never installed in the test process: each kernel test
// re-executes the test binary as a child that runs one of the helpers
// below (testenv.Program), installs a filter on itself, makes system
// calls and prints what happened as JSON for the parent to check.
func init() {
	for name, h := range map[string]func() map[string]string{
		"docker-default": helperDockerDefault,
		"enosys-ceiling": helperENOSYSCeiling,
	} {
		testenv.Program(name, func() { json.NewEncoder(os.Stdout).Encode(h()) })
	}
}

func TestMain(m *testing.M) { testenv.Main(m) }

// runHelper runs helper name in a child and returns its report.
func runHelper(t *testing.T, name string) map[string]string {
	t.Helper()
	cmd := testenv.Command(name)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("helper %s: %v\n%s", name, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var res map[string]string
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("helper %s output %q: %v", name, out, err)
	}
	if res["error"] != "" {
		t.Fatalf("helper %s: %s", name, res["error"])
	}
	return res
}

func call(nr uintptr, a ...uintptr) string {
	args := make([]uintptr, 6)
	copy(args, a)
	_, _, e := syscall.Syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
	if e == 0 {
		return "ok"
	}
	return e.Error()
}

func helperDockerDefault() map[string]string {
	host, _ := arch.Native()
	f, err := seccomp.Compile(proftest.DockerDefault(host), host, seccomp.Options{})
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	if _, err := seccomp.Install(f, seccomp.InstallOptions{}); err != nil {
		return map[string]string{"error": err.Error()}
	}
	return map[string]string{
		"getppid":           call(syscall.SYS_GETPPID),
		"acct":              call(syscall.SYS_ACCT, 0),                         // needs CAP_SYS_PACCT: denied
		"clone3":            call(435, 0, 0),                                   // no CAP_SYS_ADMIN: ENOSYS so glibc falls back
		"personality-query": call(syscall.SYS_PERSONALITY, 0xffffffff),         // allowed by argument
		"personality-set":   call(syscall.SYS_PERSONALITY, 0x0040000),          // ADDR_COMPAT_LAYOUT: denied by argument
		"future":            call(uintptr(arch.X86_64.MaxSyscall() + 7)),       // newer than the tables
		"socket-netlink":    call(41, syscall.AF_NETLINK, syscall.SOCK_RAW, 0), // socket; family 16 < 38: allowed
		"socket-vsock":      call(41, 40, syscall.SOCK_STREAM, 0),              // socket; AF_VSOCK = 40: denied
	}
}

// TestKernelDockerDefault loads the compiled Docker default filter into
// the real kernel and checks live verdicts.
func TestKernelDockerDefault(t *testing.T) {
	if host, _ := arch.Native(); host != arch.X86_64 {
		t.Skipf("the expected verdicts are x86_64's; this is %s", host)
	}
	res := runHelper(t, "docker-default")
	want := map[string]string{
		"getppid":           "ok",
		"acct":              syscall.EPERM.Error(),
		"clone3":            syscall.ENOSYS.Error(),
		"personality-query": "ok",
		"personality-set":   syscall.EPERM.Error(),
		"future":            syscall.ENOSYS.Error(),
		"socket-vsock":      syscall.EPERM.Error(),
	}
	for k, w := range want {
		if res[k] != w {
			t.Errorf("%s under docker-default: got %q, want %q", k, res[k], w)
		}
	}
	if res["socket-netlink"] == syscall.EPERM.Error() {
		t.Errorf("socket(AF_NETLINK) denied under docker-default")
	}
}

// ceilingProfile allows every x86_64 system call numbered up to 320 but
// getppid, and denies the rest with EPERM: runc's ENOSYS stub answers
// numbers above 320, the largest the profile names.
func ceilingProfile() *profile.Profile {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}}
	r := profile.Rule{Action: profile.Action{Kind: profile.ActAllow}}
	for _, s := range arch.X86_64.Syscalls() {
		if s.Nr <= 320 && s.Name != "getppid" {
			r.Names = append(r.Names, s.Name)
		}
	}
	p.Rules = []profile.Rule{r}
	return p
}

func helperENOSYSCeiling() map[string]string {
	f, err := seccomp.Compile(ceilingProfile(), arch.X86_64, seccomp.Options{})
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	if _, err := seccomp.Install(f, seccomp.InstallOptions{}); err != nil {
		return map[string]string{"error": err.Error()}
	}
	return map[string]string{
		"getppid":    call(syscall.SYS_GETPPID),          // 110, not named: the default
		"membarrier": call(324, 0, 0),                    // MEMBARRIER_CMD_QUERY: above 320, ENOSYS
		"statx":      call(332, ^uintptr(0), 0, 0, 0, 0), // above 320: ENOSYS before the kernel sees the bad descriptor
		"getpid":     call(syscall.SYS_GETPID),
	}
}

// TestKernelENOSYSCeiling checks in the real kernel that the ENOSYS answer
// starts above the largest number the profile names, as runc's stub does,
// and not at the top of the table.
func TestKernelENOSYSCeiling(t *testing.T) {
	if host, _ := arch.Native(); host != arch.X86_64 {
		t.Skipf("the profile is x86_64's; this is %s", host)
	}
	res := runHelper(t, "enosys-ceiling")
	want := map[string]string{
		"getppid":    syscall.EPERM.Error(),
		"membarrier": syscall.ENOSYS.Error(),
		"statx":      syscall.ENOSYS.Error(),
		"getpid":     "ok",
	}
	for k, w := range want {
		if res[k] != w {
			t.Errorf("%s: got %q, want %q", k, res[k], w)
		}
	}
}
