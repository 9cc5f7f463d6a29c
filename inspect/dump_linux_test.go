package inspect_test

import (
	"bufio"
	"bytes"
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
func init() {
	testenv.Program("dump-helper", dumpHelper)
	testenv.Program("exec-filtered", execFiltered)
}

func TestMain(m *testing.M) { testenv.Main(m) }

func dumpHelper() {
	installDockerDefault(seccomp.InstallOptions{})
	if os.Args[1] == "2" {
		installDockerDefault(seccomp.InstallOptions{Flags: seccomp.SECCOMP_FILTER_FLAG_LOG})
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

// installDockerDefault installs docker-default as syscage compiles it for
// this machine, in a helper child; on an error it says so and exits 3.
func installDockerDefault(o seccomp.InstallOptions) {
	host, _ := arch.Native()
	f, err := seccomp.Compile(proftest.DockerDefault(host), host, seccomp.Options{})
	if err == nil {
		_, err = seccomp.Install(f, o)
	}
	if err != nil {
		fmt.Println("install docker-default:", err)
		os.Exit(3)
	}
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
	if err == nil || !strings.Contains(err.Error(), "operation not permitted") || !strings.Contains(err.Error(), fmt.Sprintf("traced by pid %d (strace)", tracer.Process.Pid)) {
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

// execFiltered installs docker-default as syscage compiles it and
// executes os.Args[1:] under it.
func execFiltered() {
	installDockerDefault(seccomp.InstallOptions{})
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	fmt.Println("exec:", err)
	os.Exit(3)
}

// cProgram builds testdata/NAME.c with gcc.
func cProgram(t *testing.T, name string) string {
	t.Helper()
	gcc := testenv.Tool(t, "gcc", "gcc")
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command(gcc, "-pthread", "-o", bin, "testdata/"+name+".c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// filtered is a C program running under docker-default.
type filtered struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startFiltered starts program bin under docker-default; it is killed
// at the end of the test.
func startFiltered(t *testing.T, bin string, args ...string) *filtered {
	t.Helper()
	cmd := testenv.Command("exec-filtered", append([]string{bin}, args...)...)
	stdin, stdout := testenv.Start(t, cmd)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p := &filtered{cmd: cmd, stdin: stdin, lines: make(chan string)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

// next returns the program's next line. The wait is generous: a line
// that does not come means the program is stuck.
func (p *filtered) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("the program ended: %v", p.cmd.Wait())
		}
		return l
	case <-time.After(30 * time.Second):
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
		t.Fatalf("the program printed nothing for 30s; its status:\n%s", b)
		return ""
	}
}

// waitFor polls cond until it holds; a generous deadline ends a wait
// for a state that never comes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
	}
}

// state is the state letter of /proc/TID/stat, or 0.
func state(tid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", tid))
	if i := bytes.LastIndexByte(b, ')'); err == nil && i >= 0 && i+2 < len(b) {
		return b[i+2]
	}
	return 0
}

// threads lists /proc/PID/task.
func threads(t *testing.T, pid int) []int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		var tid int
		fmt.Sscan(e.Name(), &tid)
		out = append(out, tid)
	}
	return out
}

// released checks that no thread of pid is left traced or stopped.
func released(t *testing.T, tids ...int) {
	t.Helper()
	for _, tid := range tids {
		if n := tracerPid(tid); n != 0 {
			t.Errorf("thread %d is still traced by %d", tid, n)
		}
		if st := state(tid); st == 't' || st == 'T' {
			t.Errorf("thread %d is left stopped (state %c)", tid, st)
		}
	}
}

// checkRead checks that the filters of every task were read and are
// docker-default's.
func checkRead(t *testing.T, tasks []inspect.Task, want bpf.Program) {
	t.Helper()
	for _, task := range tasks {
		if task.Err != nil {
			t.Errorf("thread %d: %v", task.TID, task.Err)
		} else if len(task.Filters) != 1 || !slices.Equal(task.Filters[0].Program, want) {
			t.Errorf("thread %d: %d filters, not docker-default's one", task.TID, len(task.Filters))
		}
	}
}

func dockerDefault(t *testing.T) bpf.Program {
	host, _ := arch.Native()
	return compile(t, proftest.DockerDefault(host), host, seccomp.Options{})[0]
}

// TestDumpVforkParent: a process waiting for its vfork child cannot be
// stopped (it sleeps uninterruptibly in the kernel until the child execs
// or exits). Dump gives up after its timeout with an error that names
// the state; DumpTasks reports it for that thread and still reads the
// process's other thread, and the child is read too. The process is left
// as it was: not traced, not stopped, and once the child is gone it goes
// on and exits normally.
func TestDumpVforkParent(t *testing.T) {
	skipUnlessDump(t)
	want := dockerDefault(t)
	p := startFiltered(t, cProgram(t, "vfork"), "thread")
	parent := p.cmd.Process.Pid
	var thread, child int
	if l := p.next(t); !strings.HasPrefix(l, "thread ") {
		t.Fatalf("vfork program: %q", l)
	} else {
		fmt.Sscan(strings.TrimPrefix(l, "thread "), &thread)
	}
	if l := p.next(t); !strings.HasPrefix(l, "ready ") {
		t.Fatalf("vfork program: %q", l)
	} else {
		fmt.Sscan(strings.TrimPrefix(l, "ready "), &child)
	}
	defer syscall.Kill(child, syscall.SIGKILL)
	waitFor(t, "the vfork parent to sleep in state D", func() bool { return state(parent) == 'D' })

	o := inspect.DumpOptions{Timeout: 300 * time.Millisecond}
	_, err := inspect.Dump(parent, o)
	if !errors.Is(err, inspect.ErrNotStopped) || !strings.Contains(err.Error(), "state D (uninterruptible sleep)") || !strings.Contains(err.Error(), "vfork parent") {
		t.Fatalf("Dump of a vfork parent: %v", err)
	}
	t.Log(err)
	tasks, err := inspect.DumpTasks(parent, o)
	if err != nil || len(tasks) != 2 || tasks[0].TID != parent || tasks[1].TID != thread {
		t.Fatalf("DumpTasks of a vfork parent: %+v, %v", tasks, err)
	}
	if !errors.Is(tasks[0].Err, inspect.ErrNotStopped) || !strings.Contains(tasks[0].Err.Error(), "vfork parent") {
		t.Errorf("the vfork parent's thread: %v", tasks[0].Err)
	}
	checkRead(t, tasks[1:], want)
	fs, err := inspect.Dump(child, o)
	if err != nil || len(fs) != 1 || !slices.Equal(fs[0].Program, want) {
		t.Errorf("Dump of the vfork child: %d filters, %v", len(fs), err)
	}

	released(t, parent, thread, child)
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if line := p.next(t); line != "resumed" {
		t.Errorf("after its child ended the parent printed %q", line)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("the parent: %v", err)
	}
}

// TestDumpTasksZombieLeader: a process whose thread group leader has
// ended (pthread_exit) while its other threads run. The leader is a
// zombie, which ptrace refuses: Dump says it has exited, and DumpTasks
// reads the threads that run.
func TestDumpTasksZombieLeader(t *testing.T) {
	skipUnlessDump(t)
	want := dockerDefault(t)
	p := startFiltered(t, cProgram(t, "threads"), "zombie")
	pid := p.cmd.Process.Pid
	if l := p.next(t); l != "ready" {
		t.Fatalf("threads program: %q", l)
	}
	waitFor(t, "the leader to be a zombie", func() bool { return state(pid) == 'Z' })

	_, err := inspect.Dump(pid, inspect.DumpOptions{})
	if !errors.Is(err, inspect.ErrExited) || !strings.Contains(err.Error(), "state Z (zombie)") {
		t.Errorf("Dump of a zombie leader: %v", err)
	}
	tasks, err := inspect.DumpTasks(pid, inspect.DumpOptions{})
	if err != nil {
		t.Fatalf("DumpTasks: %v", err)
	}
	var tids []int
	for _, task := range tasks {
		tids = append(tids, task.TID)
	}
	if live := slices.DeleteFunc(threads(t, pid), func(tid int) bool { return tid == pid }); len(live) != 3 || !slices.Equal(tids, live) {
		t.Errorf("DumpTasks read threads %v, want the live ones %v", tids, live)
	}
	checkRead(t, tasks, want)
	p.stdin.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("the process: %v", err)
	}
}

// TestDumpTasksTracedThread: another tracer holds one thread of a
// process. That thread's error names the tracer; the others are read.
func TestDumpTasksTracedThread(t *testing.T) {
	skipUnlessDump(t)
	want := dockerDefault(t)
	strace := testenv.Tool(t, "strace", "strace")
	p := startFiltered(t, cProgram(t, "threads"))
	pid := p.cmd.Process.Pid
	if l := p.next(t); l != "ready" {
		t.Fatalf("threads program: %q", l)
	}
	tids := threads(t, pid)
	if len(tids) != 4 {
		t.Fatalf("threads %v, want 4", tids)
	}
	held := tids[len(tids)-1]
	tracer := exec.Command(strace, "-o", "/dev/null", "-p", fmt.Sprint(held))
	if err := tracer.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { tracer.Process.Kill(); tracer.Wait() }()
	waitFor(t, "strace to attach", func() bool { return tracerPid(held) == tracer.Process.Pid })

	tasks, err := inspect.DumpTasks(pid, inspect.DumpOptions{})
	if err != nil || len(tasks) != 4 {
		t.Fatalf("DumpTasks: %+v, %v", tasks, err)
	}
	for _, task := range tasks {
		if task.TID != held {
			checkRead(t, []inspect.Task{task}, want)
		} else if task.Err == nil || !strings.Contains(task.Err.Error(), fmt.Sprintf("thread %d of pid %d: operation not permitted: it is traced by pid %d (strace)", held, pid, tracer.Process.Pid)) {
			t.Errorf("the traced thread: %v", task.Err)
		}
	}
	if n := tracerPid(held); n != tracer.Process.Pid {
		t.Errorf("the traced thread's tracer is now %d", n)
	}
	released(t, tids[:3]...)
}

// TestDumpTasksGroupStopped: a process stopped by SIGSTOP stops for a
// tracer too; its threads are read and left stopped, and go on at
// SIGCONT.
func TestDumpTasksGroupStopped(t *testing.T) {
	skipUnlessDump(t)
	want := dockerDefault(t)
	p := startFiltered(t, cProgram(t, "threads"))
	pid := p.cmd.Process.Pid
	if l := p.next(t); l != "ready" {
		t.Fatalf("threads program: %q", l)
	}
	tids := threads(t, pid)
	stopped := func() bool {
		return !slices.ContainsFunc(tids, func(tid int) bool { return state(tid) != 'T' })
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the threads to stop", stopped)

	tasks, err := inspect.DumpTasks(pid, inspect.DumpOptions{})
	if err != nil || len(tasks) != 4 {
		t.Fatalf("DumpTasks: %+v, %v", tasks, err)
	}
	checkRead(t, tasks, want)
	// A detached thread passes through running on its way back to the
	// group stop.
	waitFor(t, "the threads to be back in the group stop", stopped)
	for _, tid := range tids {
		if n := tracerPid(tid); n != 0 {
			t.Errorf("thread %d is still traced by %d", tid, n)
		}
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(p.stdin, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if l := p.next(t); l != "hello" {
		t.Errorf("the program echoed %q", l)
	}
}

// cgroupMount returns where the cgroup file system of type fstype with
// super option opt (if not "") is mounted, or "".
func cgroupMount(fstype, opt string) string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(l, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if ok && len(f) >= 5 && len(g) >= 3 && g[0] == fstype && f[3] == "/" && (opt == "" || slices.Contains(strings.Split(g[2], ","), opt)) {
			return f[4]
		}
	}
	return ""
}

// TestDumpFrozen: the tasks of a frozen cgroup. The cgroup v1 freezer
// holds them in uninterruptible sleep, where no ptrace stop comes:
// DumpTasks gives up on all of them within one timeout, saying they are
// frozen, and leaves them as they were: once thawed they run (none stops
// for the interrupt that was still pending when it gave up) and can be
// read. A frozen cgroup v2 lets its tasks stop for a tracer: they are
// read, and stay frozen.
func TestDumpFrozen(t *testing.T) {
	skipUnlessDump(t)
	want := dockerDefault(t)
	bin := cProgram(t, "threads")
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(path string) string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
	start := func(t *testing.T, mnt string) (*filtered, string) {
		p := startFiltered(t, bin)
		if l := p.next(t); l != "ready" {
			t.Fatalf("threads program: %q", l)
		}
		dir := filepath.Join(mnt, fmt.Sprintf("syscage-dump-test-%d", p.cmd.Process.Pid))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.cmd.Process.Kill()
			p.cmd.Wait()
			os.Remove(dir)
		})
		write(filepath.Join(dir, "cgroup.procs"), fmt.Sprint(p.cmd.Process.Pid))
		return p, dir
	}
	echo := func(t *testing.T, p *filtered) {
		t.Helper()
		if _, err := io.WriteString(p.stdin, "hello\n"); err != nil {
			t.Fatal(err)
		}
		if l := p.next(t); l != "hello" {
			t.Errorf("the program echoed %q", l)
		}
	}

	t.Run("v1", func(t *testing.T) {
		mnt := cgroupMount("cgroup", "freezer")
		if mnt == "" {
			t.Skip("no cgroup v1 freezer hierarchy is mounted")
		}
		p, dir := start(t, mnt)
		pid := p.cmd.Process.Pid
		state := filepath.Join(dir, "freezer.state")
		t.Cleanup(func() { os.WriteFile(state, []byte("THAWED"), 0o644) })
		write(state, "FROZEN")
		waitFor(t, "the cgroup to freeze", func() bool { return strings.TrimSpace(read(state)) == "FROZEN" })

		tids := threads(t, pid)
		tasks, err := inspect.DumpTasks(pid, inspect.DumpOptions{Timeout: 300 * time.Millisecond})
		if err != nil || len(tasks) != len(tids) || len(tids) != 4 {
			t.Fatalf("DumpTasks of %d frozen threads: %+v, %v", len(tids), tasks, err)
		}
		for _, task := range tasks {
			if !errors.Is(task.Err, inspect.ErrNotStopped) || !strings.Contains(fmt.Sprint(task.Err), "frozen by the cgroup v1 freezer") {
				t.Errorf("thread %d: %v", task.TID, task.Err)
			}
		}
		t.Log(tasks[0].Err)
		released(t, tids...)

		write(state, "THAWED")
		waitFor(t, "the cgroup to thaw", func() bool { return strings.TrimSpace(read(state)) == "THAWED" })
		echo(t, p)
		released(t, tids...)
		tasks, err = inspect.DumpTasks(pid, inspect.DumpOptions{})
		if err != nil || len(tasks) != 4 {
			t.Fatalf("DumpTasks after the thaw: %+v, %v", tasks, err)
		}
		checkRead(t, tasks, want)
	})

	t.Run("v2", func(t *testing.T) {
		mnt := cgroupMount("cgroup2", "")
		if mnt == "" {
			t.Skip("no cgroup v2 hierarchy is mounted")
		}
		p, dir := start(t, mnt)
		pid := p.cmd.Process.Pid
		freeze, events := filepath.Join(dir, "cgroup.freeze"), filepath.Join(dir, "cgroup.events")
		t.Cleanup(func() { os.WriteFile(freeze, []byte("0"), 0o644) })
		write(freeze, "1")
		isFrozen := func() bool { return slices.Contains(strings.Split(read(events), "\n"), "frozen 1") }
		waitFor(t, "the cgroup to freeze", isFrozen)

		tids := threads(t, pid)
		tasks, err := inspect.DumpTasks(pid, inspect.DumpOptions{})
		if err != nil || len(tasks) != 4 {
			t.Fatalf("DumpTasks of a frozen cgroup v2: %+v, %v", tasks, err)
		}
		checkRead(t, tasks, want)
		waitFor(t, "the cgroup to be frozen again", isFrozen)
		released(t, tids...)
		write(freeze, "0")
		echo(t, p)
	})
}
