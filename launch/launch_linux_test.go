package launch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// denyUname allows everything but uname, which gets action.
func denyUname(t *testing.T, action string) *profile.Profile {
	return proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["uname"], "action": `+action+`}]}`)
}

// selfCmd runs this test binary as the target program name under p.
func selfCmd(t *testing.T, p *profile.Profile, name string) (*launch.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	c := launch.Command(p, os.Args[0])
	c.Env = []string{testenv.Env(name)}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	return c, &stdout, &stderr
}

func TestUnameErrno(t *testing.T) {
	for _, c := range []struct {
		action string
		want   string
	}{
		{`"SCMP_ACT_ERRNO"`, "uname errno 1\n"},                  // EPERM, runc's default errno
		{`"SCMP_ACT_ERRNO", "errnoRet": 38`, "uname errno 38\n"}, // ENOSYS
		{`"SCMP_ACT_ALLOW"`, "uname errno 0\n"},
	} {
		cmd, stdout, stderr := selfCmd(t, denyUname(t, c.action), "uname")
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", c.action, err, stderr)
		}
		if got := stdout.String(); got != c.want {
			t.Errorf("uname under %s: got %q, want %q", c.action, got, c.want)
		}
	}
}

func TestTrapReport(t *testing.T) {
	// uname(1), a C program: SIGSYS ends it (the Go runtime would catch
	// the signal and exit 2).
	p := denyUname(t, `"SCMP_ACT_TRAP"`)
	cmd := launch.Command(p, "uname")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *launch.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("Run = %v, want an ExitError\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	st := cmd.Status
	if st.ExitCode() != 159 || !st.Seccomp {
		t.Errorf("status %+v: exit code %d, want 159 (SIGSYS)", st, st.ExitCode())
	}
	v := st.Violation
	if v == nil {
		t.Fatalf("no violation reported: %s", st)
	}
	if v.Name != "uname" || v.Action.Kind != profile.ActTrap || !v.RuleKnown || v.Rule != 1 || v.Source != "siginfo" {
		t.Errorf("violation %+v, want uname, TRAP, rule 2 of the profile, from the siginfo", v)
	}
	want := "uname (63 on x86_64) got TRAP from rule 2 of the profile (uname)"
	if got := v.String(); got != want && v.Arch.String() == "x86_64" {
		t.Errorf("report %q, want %q", got, want)
	}
	if stdout.Len() > 0 {
		t.Errorf("the target went on after the trap: %s", stdout.String())
	}

	// A Go program catches SIGSYS and exits 2; the report still names
	// the call.
	cmd, _, _ = selfCmd(t, p, "uname")
	cmd.Run()
	if st := cmd.Status; st.ExitCode() != 2 || st.Violation == nil || st.Violation.Name != "uname" {
		t.Errorf("Go target: status %v, violation %+v; want exit 2 and uname", st, st.Violation)
	}
}

func TestFilterSurvivesExec(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}`)
	// The target is a shell that starts another shell that starts mkdir.
	cmd := launch.Command(p, sh, "-c", `sh -c 'mkdir "$1"/made; echo "mkdir $?"' sh "$0"`, dir)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); err == nil {
		t.Errorf("a grandchild of the target created a directory")
	}
	if !strings.Contains(out.String(), "Operation not permitted") || !strings.Contains(out.String(), "mkdir 1") {
		t.Errorf("mkdir output %q, want EPERM and status 1", out.String())
	}
	// The same without the filter's rule does create it.
	cmd = launch.Command(proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`), sh, "-c", `sh -c 'mkdir "$1"/made' sh "$0"`, dir)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); err != nil {
		t.Errorf("control run: %v", err)
	}
}

func TestEveryThreadFiltered(t *testing.T) {
	cmd, stdout, stderr := selfCmd(t, denyUname(t, `"SCMP_ACT_ERRNO"`), "threads")
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var tasks map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &tasks); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(tasks) < 9 {
		t.Errorf("only %d threads: %v", len(tasks), tasks)
	}
	for tid, n := range tasks {
		if n != "1" {
			t.Errorf("thread %s: Seccomp_filters %q, want 1", tid, n)
		}
	}
}

func runState(t *testing.T, cmd *launch.Cmd, stdout, stderr *bytes.Buffer) state {
	t.Helper()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var s state
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return s
}

func TestDescriptors(t *testing.T) {
	// An inherited descriptor without close-on-exec, as a careless parent
	// leaves one, and a pipe to keep.
	leaked := filepath.Join(t.TempDir(), "leaked")
	leak, err := syscall.Open(leaked, syscall.O_RDWR|syscall.O_CREAT, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(leak)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString("kept")
	w.Close()

	allow := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`)
	cmd, stdout, stderr := selfCmd(t, allow, "state")
	cmd.ExtraFiles = []*os.File{r}
	s := runState(t, cmd, stdout, stderr)
	if want := []int{0, 1, 2, 3}; !slices.Equal(own(s), want) {
		t.Errorf("descriptors %v, want %v (leaked %d)", s.Links, want, leak)
	}
	if !strings.HasPrefix(s.Links[3], "pipe:") {
		t.Errorf("descriptor 3 is %q, want the kept pipe", s.Links[3])
	}
	if s.Read3 != "kept" {
		t.Errorf("descriptor 3 reads %q, want %q", s.Read3, "kept")
	}
	if s.NoNewPrivs != "1" || s.Seccomp != "2" {
		t.Errorf("NoNewPrivs %s, Seccomp %s; want 1 and 2", s.NoNewPrivs, s.Seccomp)
	}

	cmd, stdout, stderr = selfCmd(t, allow, "state")
	s = runState(t, cmd, stdout, stderr)
	if want := []int{0, 1, 2}; !slices.Equal(own(s), want) {
		t.Errorf("without ExtraFiles: descriptors %v, want %v", s.Links, want)
	}
	for fd, l := range s.Links {
		if l == leaked {
			t.Errorf("the leaked descriptor is open as %d", fd)
		}
	}
}

// own returns the descriptors of a state target but those the Go runtime
// opened itself (it keeps cgroup CPU limit files open for GOMAXPROCS).
func own(s state) []int {
	var fds []int
	for _, fd := range s.FDs {
		if !strings.HasPrefix(s.Links[fd], "/sys/fs/cgroup/") {
			fds = append(fds, fd)
		}
	}
	return fds
}

func TestEnvironment(t *testing.T) {
	allow := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`)
	t.Setenv("SYSCAGE_TEST_SECRET", "x")
	cmd, stdout, stderr := selfCmd(t, allow, "state")
	cmd.Env = append(cmd.Env, "ONLY=this")
	s := runState(t, cmd, stdout, stderr)
	want := []string{testenv.Env("state"), "ONLY=this"}
	if strings.Join(s.Env, "\n") != strings.Join(want, "\n") {
		t.Errorf("environment %q, want %q", s.Env, want)
	}
}

func TestCapabilities(t *testing.T) {
	b, _ := os.ReadFile("/proc/self/status")
	if !strings.Contains(string(b), "CapEff:\t000001ff") && !strings.Contains(string(b), "CapEff:\t0000003f") {
		t.Skip("needs root with a full capability set: the test drops capabilities and checks the rest")
	}
	allow := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`)
	cmd, stdout, stderr := selfCmd(t, allow, "state")
	cmd.DropCaps = true
	cmd.KeepCaps = []string{"CAP_NET_BIND_SERVICE"}
	s := runState(t, cmd, stdout, stderr)
	for _, k := range []string{"CapPrm", "CapEff", "CapBnd", "CapAmb", "CapInh"} {
		if s.Caps[k] != "0000000000000400" {
			t.Errorf("%s = %s, want only CAP_NET_BIND_SERVICE (0x400)", k, s.Caps[k])
		}
	}
	cmd, stdout, stderr = selfCmd(t, allow, "state")
	cmd.DropCaps = true
	s = runState(t, cmd, stdout, stderr)
	for k, v := range s.Caps {
		if v != "0000000000000000" {
			t.Errorf("all dropped: %s = %s", k, v)
		}
	}
	cmd, stdout, stderr = selfCmd(t, allow, "state")
	s = runState(t, cmd, stdout, stderr)
	if s.Caps["CapEff"] == "0000000000000000" {
		t.Errorf("without DropCaps the capabilities are gone too: %v", s.Caps)
	}
}

// startFails runs cmd, which must fail to start with kind, and checks
// that the program did not run.
func startFails(t *testing.T, cmd *launch.Cmd, kind error, msg string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var se *launch.StartError
	if !errors.As(err, &se) || !errors.Is(err, kind) {
		t.Fatalf("Run = %v, want a StartError of %v", err, kind)
	}
	if !strings.Contains(se.Msg, msg) {
		t.Errorf("message %q does not say %q", se.Msg, msg)
	}
	if out.Len() > 0 {
		t.Errorf("the program ran: %q", out.String())
	}
}

func TestFailClosed(t *testing.T) {
	allow := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`)
	echo := func(p *profile.Profile) *launch.Cmd { return launch.Command(p, "echo", "ran") }

	t.Run("not found", func(t *testing.T) {
		cmd := launch.Command(allow, "/no/such/program")
		startFails(t, cmd, launch.ErrNotFound, "/no/such/program")
		if c := (&launch.StartError{Kind: launch.ErrNotFound}).ExitCode(); c != 127 {
			t.Errorf("exit code %d, want 127", c)
		}
	})
	t.Run("not executable", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "data")
		os.WriteFile(f, []byte("echo ran\n"), 0o644)
		startFails(t, launch.Command(allow, f), launch.ErrNoExec, f)
	})
	t.Run("denies execve", func(t *testing.T) {
		p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ERRNO"}]}`)
		startFails(t, echo(p), launch.ErrFilter, "denies execve itself: execve (59 on x86_64) got ERRNO(1) from rule 1")
	})
	t.Run("kernel refuses the install", func(t *testing.T) {
		cmd := echo(allow)
		cmd.Flags = 1 << 20 // a flag no kernel knows
		startFails(t, cmd, launch.ErrFilter, "install filter")
	})
	t.Run("compile", func(t *testing.T) {
		p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["nosuchcall"], "action": "SCMP_ACT_ERRNO"}]}`)
		cmd := echo(p)
		cmd.Compile = seccomp.Options{Strict: true}
		startFails(t, cmd, launch.ErrFilter, "nosuchcall")
	})
	t.Run("unknown capability", func(t *testing.T) {
		cmd := echo(allow)
		cmd.DropCaps, cmd.KeepCaps = true, []string{"CAP_FLY"}
		startFails(t, cmd, launch.ErrSetup, "CAP_FLY")
	})
}

// runKilled runs the command mk makes; when seccomp killed it and the
// kernel's record did not come (the kernel log is rate-limited, about
// ten records per five seconds for every process on the host), it runs
// it again after the limit's interval, a few times.
func runKilled(t *testing.T, mk func() *launch.Cmd) *launch.Cmd {
	t.Helper()
	for try := 0; ; try++ {
		cmd := mk()
		cmd.Run()
		if st := cmd.Status; !st.Seccomp || st.Violation != nil || try == 5 {
			return cmd
		}
		t.Logf("no kernel record of the kill (rate limit?); again in 5s")
		time.Sleep(5 * time.Second)
	}
}

func TestKillReport(t *testing.T) {
	if _, err := os.Open("/dev/kmsg"); err != nil {
		t.Skipf("the kernel log is not readable (%v): KILL reports need it", err)
	}
	p := denyUname(t, `"SCMP_ACT_KILL_PROCESS"`)
	var stdout *bytes.Buffer
	cmd := runKilled(t, func() *launch.Cmd {
		cmd, out, _ := selfCmd(t, p, "uname")
		stdout = out
		return cmd
	})
	st := cmd.Status
	if st.ExitCode() != 159 || !st.Seccomp {
		t.Fatalf("status %s (exit %d), want 159 from SIGSYS", st, st.ExitCode())
	}
	if stdout.Len() > 0 {
		t.Errorf("the target went on: %s", stdout)
	}
	want := "uname (63 on x86_64) got KILL_PROCESS from rule 2 of the profile (uname)"
	if st.Violation == nil || st.Violation.String() != want || st.Violation.Source != "kernel log" {
		t.Errorf("violation %+v, want %q from the kernel log", st.Violation, want)
	}
}

// With SECCOMP_FILTER_FLAG_LOG the kernel logs the ERRNO it returns.
func TestLogFlag(t *testing.T) {
	f, err := audit.Follow(audit.FollowOptions{Source: audit.SourceAuto})
	if err != nil {
		t.Skipf("cannot read audit records (%v): the test needs root", err)
	}
	defer f.Close()
	cmd, stdout, stderr := selfCmd(t, denyUname(t, `"SCMP_ACT_ERRNO"`), "uname")
	cmd.Flags = seccomp.SECCOMP_FILTER_FLAG_LOG
	if err := cmd.Run(); err != nil || stdout.String() != "uname errno 1\n" {
		t.Fatalf("%v: %s %s", err, stdout, stderr)
	}
	timer := time.AfterFunc(10*time.Second, func() { f.Close() })
	defer timer.Stop()
	for {
		ev, err := f.Next()
		if err != nil {
			t.Fatalf("no ERRNO record of uname from pid %d (%v); with kmsg the log is rate-limited", cmd.Process.Pid, err)
		}
		if ev.PID == cmd.Process.Pid && ev.Syscall == "uname" {
			if k := ev.Action().Kind; k != profile.ActErrno {
				t.Errorf("record %s, want ERRNO", ev.Format())
			}
			return
		}
	}
}

func TestAuditSession(t *testing.T) {
	self, _ := os.ReadFile("/proc/self/sessionid")
	cmd := launch.Command(proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`), "sh", "-c", "cat /proc/self/sessionid")
	cmd.AuditSession = true
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if cmd.Session == 0 {
		t.Skipf("no audit session of its own (needs CAP_AUDIT_CONTROL); the launcher's is %s", self)
	}
	// The program's child (cat) has it too.
	if got := strings.TrimSpace(out.String()); got != fmt.Sprint(cmd.Session) || got == strings.TrimSpace(string(self)) {
		t.Errorf("session %s in the program, Session %d, the launcher's %s", got, cmd.Session, self)
	}
}

// threadUname calls uname(2) from a second thread.
const threadUname = `
#include <pthread.h>
#include <sys/utsname.h>
static void *run(void *arg) { static struct utsname u; uname(&u); return 0; }
int main(void) {
	pthread_t t;
	pthread_create(&t, 0, run, 0);
	pthread_join(t, 0);
	return 0;
}
`

// A TRAP in a thread other than the main one is reported too: the
// launcher follows the program's threads.
func TestTrapInThread(t *testing.T) {
	gcc := testenv.Tool(t, "gcc", "gcc")
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "t.c"), filepath.Join(dir, "t")
	os.WriteFile(src, []byte(threadUname), 0o644)
	if out, err := exec.Command(gcc, "-O2", "-pthread", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	cmd := launch.Command(denyUname(t, `"SCMP_ACT_TRAP"`), bin)
	cmd.Run()
	st := cmd.Status
	if st.ExitCode() != 159 || st.Violation == nil || st.Violation.Name != "uname" || st.Violation.Source != "siginfo" {
		t.Errorf("status %s, violation %+v; want 159 and uname from the siginfo", st, st.Violation)
	}
}
