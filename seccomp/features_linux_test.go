package seccomp_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/seccomp"
)

// taskStates returns the Seccomp, Seccomp_filters and NoNewPrivs lines of
// every thread of the test process.
func taskStates(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited
		}
		var keep []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Seccomp") || strings.HasPrefix(line, "NoNewPrivs") {
				keep = append(keep, strings.Join(strings.Fields(line), " "))
			}
		}
		out[filepath.Base(filepath.Dir(p))] = strings.Join(keep, ", ")
	}
	return out
}

// TestProbeInstallsNothing checks that probing leaves every thread of the
// process as it was.
func TestProbeInstallsNothing(t *testing.T) {
	before := taskStates(t)
	if _, err := seccomp.Probe(); err != nil {
		t.Fatal(err)
	}
	for tid, after := range taskStates(t) {
		if b, ok := before[tid]; ok && b != after {
			t.Errorf("thread %s: %s before Probe, %s after", tid, b, after)
		}
	}
}

// TestProbe checks the probe against what any Linux 6.0+ kernel with
// seccomp filters offers (CI runs 6.18 on x86_64 with IA32 emulation and
// without x32). Every action and flag of the ABI file is there, and the
// notification structures have their 6.x sizes.
func TestProbe(t *testing.T) {
	f, err := seccomp.Probe()
	if err != nil {
		t.Fatal(err)
	}
	if !f.Seccomp || !f.FilterSupported {
		t.Skipf("the kernel lacks seccomp filters (seccomp %v, filter %v): %v", f.Seccomp, f.FilterSupported, f.Notes)
	}
	if !kernelAtLeast(f.Kernel, 6, 0) {
		t.Skipf("Linux %s predates WAIT_KILLABLE_RECV (5.19): the expectations are 6.0's", f.Kernel)
	}
	if f.Mode == seccomp.SECCOMP_MODE_FILTER {
		t.Skipf("the test runs under a seccomp filter, which may hide the kernel's answers")
	}
	if len(f.Notes) > 0 {
		t.Errorf("notes: %q", f.Notes)
	}
	wantActions := []string{"kill_process", "kill_thread", "trap", "errno", "user_notif", "trace", "log", "allow"}
	if !reflect.DeepEqual(f.ActionsAvail, wantActions) {
		t.Errorf("actions_avail = %q, want %q", f.ActionsAvail, wantActions)
	}
	var gotActions []string
	for _, a := range f.Actions {
		if a.Supported {
			gotActions = append(gotActions, a.Name)
		}
	}
	if !reflect.DeepEqual(gotActions, wantActions) {
		t.Errorf("actions confirmed by SECCOMP_GET_ACTION_AVAIL: %q, want %q", gotActions, wantActions)
	}
	if len(f.ActionsLogged) == 0 {
		t.Errorf("actions_logged unread")
	}
	for _, fl := range []seccomp.Flags{
		seccomp.SECCOMP_FILTER_FLAG_TSYNC, seccomp.SECCOMP_FILTER_FLAG_LOG,
		seccomp.SECCOMP_FILTER_FLAG_SPEC_ALLOW, seccomp.SECCOMP_FILTER_FLAG_NEW_LISTENER,
		seccomp.SECCOMP_FILTER_FLAG_TSYNC_ESRCH, seccomp.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
	} {
		if !f.HasFlag(fl) {
			t.Errorf("flag %s not supported", fl)
		}
	}
	if len(f.Flags) != 6 || f.Flags[0].Name != "SECCOMP_FILTER_FLAG_TSYNC" || f.Flags[5].Name != "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" {
		t.Errorf("flags not in bit order: %v", f.Flags)
	}
	if f.HasFlag(1 << 20) {
		t.Errorf("HasFlag accepts an unknown bit")
	}
	want := seccomp.NotifSizes{Notif: 80, NotifResp: 24, Data: seccomp.SeccompDataSize}
	if f.NotifSizes == nil || *f.NotifSizes != want {
		t.Errorf("notif sizes %+v, want %+v", f.NotifSizes, want)
	}
	if f.Filters != 0 {
		t.Errorf("Seccomp_filters = %d for an unfiltered process", f.Filters)
	}
	if f.ActionCache.Supported == nil || !*f.ActionCache.Supported {
		if f.Arch == "x86_64" || f.Arch == "aarch64" {
			t.Errorf("action cache: %s", f.ActionCache)
		}
	}
	if f.Arch == "x86_64" {
		if len(f.Compat) != 2 || f.Compat[0].Arch != "x86" || f.Compat[1].Arch != "x32" {
			t.Fatalf("compat ABIs %+v, want x86 and x32", f.Compat)
		}
		// x32 is answered by a real x32 system call, never inferred.
		if x32 := f.Compat[1]; x32.Supported == nil || !strings.Contains(x32.Source, "x32 system call") {
			t.Errorf("x32 not probed: %s", x32.Detection)
		}
		if x86 := f.Compat[0]; x86.Supported == nil {
			t.Errorf("x86: %s", x86.Detection)
		}
	}
	if host, ok := arch.Native(); ok && f.Arch != host.String() && !containsArch(f.Compat, host.String()) {
		t.Errorf("arch %s: this %s program is neither native nor compat", f.Arch, host)
	}
}

// TestProbeCI pins what the CI kernel (Linux 6.18, x86_64, no x32, IA32
// emulation when the kernel runs i386 programs) reports; elsewhere it is
// skipped.
func TestProbeCI(t *testing.T) {
	f, err := seccomp.Probe()
	if err != nil {
		t.Fatal(err)
	}
	if f.Arch != "x86_64" || !strings.HasPrefix(f.Kernel, "6.18.") || f.Mode != 0 {
		t.Skipf("not the CI kernel (%s %s, mode %d)", f.Kernel, f.Arch, f.Mode)
	}
	if x32 := f.Compat[1]; x32.Supported == nil || *x32.Supported {
		t.Errorf("x32: %s", x32.Detection)
	}
	// IA32 emulation is said to work exactly when an i386 program runs
	// (this kernel is built with it, and refuses i386 programs on some
	// machines).
	x86 := f.Compat[0]
	if x86.Supported == nil {
		t.Fatalf("IA32 emulation undetermined: %s", x86.Detection)
	}
	if os.Getenv(testenv.NoI386Env) == "" && *x86.Supported != testenv.RunsI386(t) {
		t.Errorf("IA32 emulation %v (%s), but an i386 program runs: %v", *x86.Supported, x86.Detection, testenv.RunsI386(t))
	}
}

func TestFeaturesJSON(t *testing.T) {
	f, err := seccomp.Probe()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	// Field order is the struct's, flag order the kernel's.
	s := string(b)
	for _, pair := range [][2]string{
		{`"kernel"`, `"compat"`}, {`"compat"`, `"filterSupported"`}, {`"actions"`, `"flags"`},
		{`"SECCOMP_FILTER_FLAG_TSYNC"`, `"SECCOMP_FILTER_FLAG_LOG"`},
		{`"SECCOMP_FILTER_FLAG_NEW_LISTENER"`, `"SECCOMP_FILTER_FLAG_TSYNC_ESRCH"`},
		{`"kill_process"`, `"allow"`},
	} {
		i, j := strings.Index(s, pair[0]), strings.Index(s, pair[1])
		if i < 0 || j < 0 || i > j {
			t.Errorf("%s should come before %s in %s", pair[0], pair[1], s)
		}
	}
	var back seccomp.Features
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, f) {
		t.Errorf("JSON round trip:\n got %+v\nwant %+v", back, *f)
	}
}

func TestSupportJSON(t *testing.T) {
	s := seccomp.Support{{Name: "b", Supported: true}, {Name: "a"}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"b":true,"a":false}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var back seccomp.Support
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("Unmarshal = %v, %v; want %v", back, err, s)
	}
	if !back.Has("b") || back.Has("a") || back.Has("c") {
		t.Errorf("Has: wrong answers for %v", back)
	}
	for _, bad := range []string{`[]`, `{"a":1}`, `{"a":true`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
	if b, _ := json.Marshal(seccomp.Support(nil)); string(b) != "{}" {
		t.Errorf("nil Support = %s, want {}", b)
	}
}

func TestFlagsString(t *testing.T) {
	for _, tc := range []struct {
		f    seccomp.Flags
		want string
	}{
		{0, "0"},
		{seccomp.SECCOMP_FILTER_FLAG_LOG | seccomp.SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG"},
		{seccomp.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | 1<<7 | 1<<6, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV|0xc0"},
		{1 << 9, "0x200"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint(tc.f), got, tc.want)
		}
	}
}

func TestDetectionString(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		d    seccomp.Detection
		want string
	}{
		{seccomp.Detection{Supported: &yes, Source: "a"}, "yes (a)"},
		{seccomp.Detection{Supported: &no}, "no"},
		{seccomp.Detection{Source: "b"}, "unknown (b)"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func containsArch(cs []seccomp.Compat, a string) bool {
	for _, c := range cs {
		if c.Arch == a {
			return true
		}
	}
	return false
}

func kernelAtLeast(rel string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(rel, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a > major || (a == major && b >= minor)
}

// TestKernelRelease: the release is the kernel's own, as /proc says it.
func TestKernelRelease(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Skip(err)
	}
	if got, want := seccomp.KernelRelease(), strings.TrimSpace(string(b)); got != want {
		t.Errorf("KernelRelease() = %q, want %q", got, want)
	}
}
