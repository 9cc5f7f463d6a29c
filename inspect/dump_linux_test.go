package inspect_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/seccomp"
)

// Filters are never installed in the test process: the dump helper runs
// in a re-executed copy of the test binary (testenv.Program), installs
// docker-default as syscage compiles it (twice with argument 2, the second
// with SECCOMP_FILTER_FLAG_LOG) and waits on stdin while the test reads
// its filters.
func init() { testenv.Program("dump-helper", dumpHelper) }

func TestMain(m *testing.M) { testenv.Main(m) }

func dumpHelper() {
	host, _ := arch.Native()
	f, err := seccomp.Compile(proftest.DockerDefault(host), host, seccomp.Options{})
	if err != nil {
		fmt.Println("compile:", err)
		os.Exit(3)
	}
	if _, err := seccomp.Install(f, seccomp.InstallOptions{}); err != nil {
		fmt.Println("install:", err)
		os.Exit(3)
	}
	if os.Args[1] == "2" {
		if _, err := seccomp.Install(f, seccomp.InstallOptions{Flags: seccomp.SECCOMP_FILTER_FLAG_LOG}); err != nil {
			fmt.Println("install:", err)
			os.Exit(3)
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

// startHelper starts the helper and returns its pid; the helper ends
// with the test.
func startHelper(t *testing.T, mode string) int {
	t.Helper()
	cmd := testenv.Command("dump-helper", mode)
	stdin, stdout := testenv.Start(t, cmd)
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper: %q", line)
	}
	return cmd.Process.Pid
}

func skipUnlessDump(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("reading filters needs CAP_SYS_ADMIN (run as root)")
	}
	if _, ok := arch.Native(); !ok {
		t.Skip("unknown native architecture")
	}
}

// TestDump reads the filters of a live process back and checks them
// against what was installed: byte for byte, and by meaning against the
// profile compiled without optimization and against another profile.
func TestDump(t *testing.T) {
	skipUnlessDump(t)
	host, _ := arch.Native()
	p := proftest.DockerDefault(host)
	want := compile(t, p, host, seccomp.Options{})

	fs, err := inspect.Dump(startHelper(t, "2"), inspect.DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Log || !fs[1].Log || fs[0].Index != 0 || fs[1].Index != 1 {
		t.Fatalf("%d filters: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if !slices.Equal(f.Program, want[0]) {
			t.Errorf("filter %d differs from the installed program:\n%s", f.Index, bpf.Disassemble(f.Program, bpf.DisasmOptions{}))
		}
	}
	live := inspect.StackOf(fs)
	plain := compile(t, p, host, seccomp.Options{NoOptimize: true})
	if ds, _, err := inspect.Compare(live, plain, inspect.CompareOptions{}); err != nil || len(ds) != 0 {
		t.Errorf("live against the profile: %v, %v", diffNames(ds), err)
	}
	q := p.Clone()
	for i, r := range q.Rules {
		if j := slices.Index(r.Names, "getppid"); j >= 0 {
			q.Rules[i].Names = slices.Delete(slices.Clone(r.Names), j, j+1)
		}
	}
	ds, _, err := inspect.Compare(live, compile(t, q, host, seccomp.Options{}), inspect.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wantNames []string
	for _, a := range append([]arch.Arch{host}, p.Arches...) {
		if _, ok := a.SyscallNumber("getppid"); ok {
			wantNames = append(wantNames, a.String()+" getppid")
		}
	}
	slices.SortFunc(wantNames, func(x, y string) int {
		a, _ := arch.Parse(strings.Fields(x)[0])
		b, _ := arch.Parse(strings.Fields(y)[0])
		return int(a) - int(b)
	})
	wantNames = slices.Compact(wantNames)
	if got := diffNames(ds); !slices.Equal(got, wantNames) {
		t.Errorf("live against docker-default without getppid: %v, want %v", got, wantNames)
	}
}

// TestDumpErrors: a process that does not exist, one without a filter,
// one that cannot be traced.
func TestDumpErrors(t *testing.T) {
	skipUnlessDump(t)
	_, err := inspect.Dump(1<<30, inspect.DumpOptions{})
	if err == nil || !strings.Contains(err.Error(), "no such process") {
		t.Errorf("no process: %v", err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(10 * time.Millisecond)
	_, err = inspect.Dump(cmd.Process.Pid, inspect.DumpOptions{})
	if !errors.Is(err, inspect.ErrNoFilter) {
		t.Errorf("unfiltered process: %v", err)
	}
	if _, err := inspect.Dump(0, inspect.DumpOptions{}); err == nil {
		t.Error("pid 0: no error")
	}

	// A process that another tracer holds cannot be traced.
	strace := testenv.Tool(t, "strace", "strace")
	pid := startHelper(t, "1")
	tracer := exec.Command(strace, "-o", "/dev/null", "-p", fmt.Sprint(pid))
	if err := tracer.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { tracer.Process.Kill(); tracer.Wait() }()
	for deadline := time.Now().Add(5 * time.Second); tracerPid(pid) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("strace did not attach")
		}
	}
	_, err = inspect.Dump(pid, inspect.DumpOptions{})
	if err == nil || !strings.Contains(err.Error(), "operation not permitted") || !strings.Contains(err.Error(), "no other tracer attached") {
		t.Errorf("traced process: %v", err)
	}
}

// tracerPid reads TracerPid: of /proc/PID/status.
func tracerPid(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			var n int
			fmt.Sscan(strings.TrimSpace(v), &n)
			return n
		}
	}
	return 0
}

// TestDumpVforkParent: a process waiting for its vfork child cannot be
// stopped (it sleeps uninterruptibly in the kernel until the child execs
// or exits). Dump gives up after its timeout with an error that names
// the state, DumpTasks reports it for the thread, and the process is left
// as it was: once the child is gone it goes on and exits normally.
func TestDumpVforkParent(t *testing.T) {
	skipUnlessDump(t)
	gcc := testenv.Tool(t, "gcc", "gcc")
	bin := filepath.Join(t.TempDir(), "vfork")
	if out, err := exec.Command(gcc, "-o", bin, "testdata/vfork.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(10 * time.Second):
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
			t.Fatalf("the vfork helper printed nothing for 10s; its status:\n%s", b)
			return ""
		}
	}
	line := next()
	var child int
	if _, err := fmt.Sscanf(line, "ready %d", &child); err != nil {
		t.Fatalf("vfork helper: %q", line)
	}
	defer syscall.Kill(child, syscall.SIGKILL)

	const timeout = 300 * time.Millisecond
	start := time.Now()
	_, err = inspect.Dump(cmd.Process.Pid, inspect.DumpOptions{Timeout: timeout})
	if d := time.Since(start); d > timeout+2*time.Second {
		t.Errorf("Dump took %v with a timeout of %v", d, timeout)
	}
	if !errors.Is(err, inspect.ErrNotStopped) || !strings.Contains(err.Error(), "state D (uninterruptible sleep)") {
		t.Fatalf("Dump of a vfork parent: %v", err)
	}
	t.Log(err)
	tasks, err := inspect.DumpTasks(cmd.Process.Pid, inspect.DumpOptions{Timeout: timeout})
	if err != nil || len(tasks) != 1 || tasks[0].TID != cmd.Process.Pid || !errors.Is(tasks[0].Err, inspect.ErrNotStopped) {
		t.Fatalf("DumpTasks of a vfork parent: %+v, %v", tasks, err)
	}

	// Left as it was: not stopped, not traced, and it goes on.
	time.Sleep(50 * time.Millisecond)
	if n := tracerPid(cmd.Process.Pid); n != 0 {
		t.Errorf("still traced by %d", n)
	}
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if line := next(); line != "resumed" {
		t.Errorf("after its child ended the parent printed %q", line)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the parent: %v", err)
	}
}
