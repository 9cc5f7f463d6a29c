package launch_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
)

// TestTreeKillReported runs a shell that runs uname(1), which the
// profile kills: the shell goes on (it only prints "Bad system call"),
// and the launcher reports the kill of its child, with the child's pid
// and name, as it happens and in the summary.
func TestTreeKillReported(t *testing.T) {
	p := denyUname(t, `"SCMP_ACT_KILL_PROCESS"`)
	cmd := launch.Command(p, "/bin/sh", "-c", "uname; echo shell went on")
	cmd.AuditSession = true
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	var mu sync.Mutex
	var live []launch.TreeEvent
	cmd.OnEvent = func(e launch.TreeEvent) {
		mu.Lock()
		live = append(live, e)
		mu.Unlock()
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("Run: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "shell went on") {
		t.Fatalf("stdout %q", out.String())
	}
	if cmd.Session == 0 {
		t.Fatalf("no audit session of its own (root has CAP_AUDIT_CONTROL)")
	}
	evs := cmd.Status.Events
	if len(evs) != 1 {
		t.Fatalf("events %v, want the kill of uname", evs)
	}
	e := evs[0]
	if e.PID == cmd.Process.Pid || e.Comm != "uname" || e.Name != "uname" || e.Action.Kind != profile.ActKillProcess || !e.RuleKnown || e.Rule != 1 {
		t.Errorf("event %+v: want uname's kill by rule 2, in a child", e)
	}
	want := "got KILL_PROCESS from rule 2 of the profile (uname)"
	if !strings.Contains(e.String(), want) || !strings.HasPrefix(e.String(), "pid ") {
		t.Errorf("String() = %q, want it to contain %q", e.String(), want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(live) != 1 || live[0].PID != e.PID {
		t.Errorf("OnEvent saw %v, want the same event", live)
	}
}

// TestTreeKillEscaped checks that a task name the program chose is
// quoted in the report.
func TestTreeKillEscaped(t *testing.T) {
	p := denyUname(t, `"SCMP_ACT_KILL_PROCESS"`)
	dir := t.TempDir()
	evil := filepath.Join(dir, "x\x1b[2Jy")
	if err := os.Symlink("/bin/uname", evil); err != nil {
		t.Fatal(err)
	}
	cmd := launch.Command(p, "/bin/sh", "-c", `"$0"; true`, evil)
	cmd.AuditSession = true
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if len(cmd.Status.Events) != 1 {
		t.Fatalf("events %v", cmd.Status.Events)
	}
	s := cmd.Status.Events[0].String()
	if strings.Contains(s, "\x1b") || !strings.Contains(s, `"x\x1b[2Jy"`) {
		t.Errorf("String() = %q, want the name quoted", s)
	}
}

// python returns the path of the Python interpreter itself (python3 on
// PATH may be a script that executes it, as pyenv's shim is).
func python(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func allowAll() *profile.Profile {
	return &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}}
}

// TestExecOnce runs Python with ExecOnce: the launch works, Python's
// os.execv gets EPERM and is reported; a shell's exec of a child too.
func TestExecOnce(t *testing.T) {
	for _, once := range []bool{false, true} {
		cmd := launch.Command(allowAll(), python(t), "-c", `import os, sys
sys.stdout.flush()
try:
    os.execv("/bin/echo", ["echo", "exec worked"])
except OSError as e:
    print("execv", e.errno)`)
		cmd.ExecOnce = once
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("once=%v: %v\n%s", once, err, errb.String())
		}
		want := "exec worked\n"
		if once {
			want = "execv 1\n"
		}
		if out.String() != want {
			t.Errorf("once=%v: got %q, want %q", once, out.String(), want)
		}
		evs := cmd.Status.Events
		if !once {
			if len(evs) != 0 {
				t.Errorf("events without ExecOnce: %v", evs)
			}
			continue
		}
		if len(evs) != 1 || evs[0].Policy != "exec-once" || evs[0].Path != "/bin/echo" || evs[0].Name != "execve" || evs[0].PID != cmd.Process.Pid || !strings.HasPrefix(evs[0].Comm, "python") {
			t.Errorf("events %+v, want python's execve of /bin/echo denied", evs)
		}
	}

	// A shell forks and execs: the child gets EPERM (126).
	cmd := launch.Command(allowAll(), "/bin/sh", "-c", "/bin/true; echo status $?")
	cmd.ExecOnce = true
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "status 126\n" {
		t.Errorf("sh: got %q, want status 126", out.String())
	}
	if evs := cmd.Status.Events; len(evs) != 1 || evs[0].PID == cmd.Process.Pid || evs[0].Path != "/bin/true" {
		t.Errorf("events %+v, want the child's execve of /bin/true", evs)
	}
}

// TestExecAllow lets the tree execute one program after the launch, and
// no other; execveat with a descriptor is refused.
func TestExecAllow(t *testing.T) {
	cmd := launch.Command(allowAll(), python(t), "-c", `import os
for argv in (["/bin/true"], ["/bin/false"], ["/usr/bin/../bin/true"]):
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(argv[0], argv)
        except OSError as e:
            os._exit(100 + e.errno)
    print(argv[0], os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
fd = os.open("/bin/true", os.O_RDONLY)
pid = os.fork()
if pid == 0:
    try:
        os.execve(fd, ["true"], {})
    except OSError as e:
        os._exit(100 + e.errno)
print("fexecve", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))`)
	cmd.ExecOnce = true
	cmd.ExecAllow = []string{"/bin/true"}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	want := "/bin/true 0\n/bin/false 101\n/usr/bin/../bin/true 0\nfexecve 101\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if n := len(cmd.Status.Events); n != 2 {
		t.Errorf("events %v, want the two denials", cmd.Status.Events)
	}
}

// TestExecOnceFailsClosed: once the launcher no longer answers (Wait has
// returned), a process left in the tree cannot execute anything: the
// kernel fails its execve with ENOSYS.
func TestExecOnceFailsClosed(t *testing.T) {
	result := filepath.Join(t.TempDir(), "result")
	cmd := launch.Command(allowAll(), python(t), "-c", `import os, sys, time
if os.fork() == 0:
    time.sleep(1)
    try:
        os.execv("/bin/true", ["true"])
    except OSError as e:
        open(sys.argv[1], "w").write(str(e.errno))
    os._exit(0)`, result)
	cmd.ExecOnce = true
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(result)
		if err == nil && len(b) > 0 {
			if string(b) != "38" {
				t.Errorf("execve after the launcher stopped answering: errno %s, want 38 (ENOSYS)", b)
			}
			return
		}
		if !errors.Is(err, os.ErrNotExist) && err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the orphan wrote nothing (did it exec /bin/true?)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
