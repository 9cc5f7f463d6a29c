package seccomp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/internal/unix"
)

// Filters are never installed in the test process. Each test below
// re-executes the test binary as a child that runs one of the helpers
// (testenv.Program); the helper installs filters on itself, makes system
// calls, and prints a helperReport for the parent to check.
const reportPrefix = "syscage-helper-report: "

var installHelpers = map[string]func() helperReport{
	"threads":        helperThreads,
	"log":            helperLog,
	"invalid":        helperInvalid,
	"tsync-conflict": helperTSyncConflict,
	"listener":       helperListener,
	"privileges":     helperPrivileges,
	"probe-filtered": helperProbeFiltered,
	"faked-seccomp":  func() helperReport { return helperFaked("seccomp") },
	"faked-prctl":    func() helperReport { return helperFaked("prctl") },
	"faked-both":     func() helperReport { return helperFaked("seccomp", "prctl") },
	"faked-not-null": helperFakedNotNull,
}

// helperReport is what a helper child saw.
type helperReport struct {
	Fatal       string               `json:"fatal,omitempty"`   // the helper could not run
	Install     []string             `json:"install,omitempty"` // the error of each install, "" for success
	Flags       []string             `json:"flags,omitempty"`   // Installed.Flags of each successful install
	Uname       string               `json:"uname"`             // uname(2) on the main goroutine afterwards
	ThreadUname []string             `json:"threadUname,omitempty"`
	TIDs        []int                `json:"tids,omitempty"` // threads of interest
	SyncTID     int                  `json:"syncTID,omitempty"`
	PID         int                  `json:"pid"`
	Listener    string               `json:"listener,omitempty"` // readlink of the listener descriptor
	CloseOnExec bool                 `json:"closeOnExec,omitempty"`
	Tasks       map[string]taskState `json:"tasks"`
	Probe       *Features            `json:"probe,omitempty"`
	wait        bool                 // block on stdin after reporting, for the parent to inspect
}

// taskState is what /proc/self/task/TID/status says of a thread.
type taskState struct {
	Seccomp, Filters, NoNewPrivs int
}

func init() {
	for name, h := range installHelpers {
		testenv.Program(name, func() { installHelper(h) })
	}
}

// installHelper runs helper h and prints its report.
func installHelper(h func() helperReport) {
	r := h()
	r.PID = os.Getpid()
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(helperReport{Fatal: err.Error()})
	}
	fmt.Printf("\n%s%s\n", reportPrefix, b)
	if r.wait {
		io.Copy(io.Discard, os.Stdin)
	}
}

type helperRun struct {
	asUser  int           // run the child as this uid (root only), 0 for none
	inspect func(pid int) // called while the child waits after reporting
}

// runInstallHelper runs helper name in a child and returns its report.
func runInstallHelper(t *testing.T, name string, o helperRun) helperReport {
	t.Helper()
	bin := os.Args[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	if o.asUser != 0 {
		bin = copyForUser(t, bin)
		cmd = exec.CommandContext(ctx, bin)
		cmd.Dir = filepath.Dir(bin)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(o.asUser), Gid: uint32(o.asUser)}}
	}
	cmd.Env = append(os.Environ(), testenv.Env(name))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, stdout := testenv.Start(t, cmd)
	var r helperReport
	found := false
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if js, ok := strings.CutPrefix(line, reportPrefix); ok {
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Errorf("helper %s: report %s: %v", name, js, err)
			}
			found = true
			break
		}
	}
	if found && o.inspect != nil {
		o.inspect(cmd.Process.Pid)
	}
	stdin.Close()
	io.Copy(io.Discard, stdout)
	err := cmd.Wait()
	if !found || err != nil {
		t.Fatalf("helper %s: %v (report found: %v)\nstdout:\n%s\nstderr:\n%s", name, err, found, out.String(), stderr.String())
	}
	if r.Fatal != "" {
		t.Fatalf("helper %s: %s", name, r.Fatal)
	}
	return r
}

// runInstalled runs helper name in a child, fails t unless its first
// install succeeded, and checks the flags it was made with (unless flags
// is empty).
func runInstalled(t *testing.T, name, flags string) helperReport {
	t.Helper()
	r := runInstallHelper(t, name, helperRun{})
	if len(r.Install) == 0 || r.Install[0] != "ok" {
		t.Fatalf("install: %q", r.Install)
	}
	if flags != "" && r.Flags[0] != flags {
		t.Errorf("installed with %s, want %s", r.Flags[0], flags)
	}
	return r
}

// copyForUser copies the test binary to a directory other users can read.
func copyForUser(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir() // ROOT/NNN, both 0700
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "seccomp.test")
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// denyUname is a small hand-made program: system calls of another ABI
// kill the process, uname gets EPERM, everything else is allowed.
func denyUname() bpf.Program {
	host, _ := arch.Native()
	nr, _ := host.SyscallNumber("uname")
	return bpf.Program{
		{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: OffsetArch},
		{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: host.Audit(), Jt: 1}, // AUDIT_ARCH_X86_64 = 0xc000003e on x86_64
		{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_KILL_PROCESS},
		{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: OffsetNr},
		{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: nr, Jf: 1},
		{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ERRNO | uint32(syscall.EPERM)},
		{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ALLOW},
	}
}

var allowAll = bpf.Program{{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ALLOW}}

func skipUnlessKernelTests(t *testing.T) {
	t.Helper()
	host, ok := arch.Native()
	if !ok {
		t.Skip("unknown native architecture")
	}
	if _, ok := host.SyscallNumber("uname"); !ok {
		t.Skipf("%s has no uname system call", host)
	}
	if err := unix.ProbeFlags(0); !errors.Is(err, unix.EFAULT) {
		t.Skipf("the kernel has no seccomp filter mode: %v", err)
	}
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func uname() string {
	var u syscall.Utsname
	return errText(syscall.Uname(&u))
}

func (r *helperReport) install(p bpf.Program, o InstallOptions) (Installed, error) {
	in, err := InstallProgram(p, o)
	r.Install = append(r.Install, errText(err))
	if err == nil {
		r.Flags = append(r.Flags, in.Flags.String())
	}
	return in, err
}

// tasks reads the seccomp state of every thread of the calling process.
func tasks() map[string]taskState {
	paths, _ := filepath.Glob("/proc/self/task/*/status")
	out := map[string]taskState{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited
		}
		field := func(k string) int {
			n, _ := strconv.Atoi(testenv.StatusField(string(b), k))
			return n
		}
		st := taskState{Seccomp: field("Seccomp"), Filters: field("Seccomp_filters"), NoNewPrivs: field("NoNewPrivs")}
		out[filepath.Base(filepath.Dir(p))] = st
	}
	return out
}

// settledTasks returns tasks() once every thread but keep and the main
// thread has no_new_privs off, waiting up to 3s for retired threads to
// end (see InstallProgram).
func settledTasks(keep int) map[string]taskState {
	var ts map[string]taskState
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ts = tasks()
		all := true
		for tid, st := range ts {
			all = all && (st.NoNewPrivs == 0 || tid == strconv.Itoa(keep) || tid == strconv.Itoa(os.Getpid()))
		}
		if all {
			break
		}
	}
	return ts
}

// startThreads starts n goroutines, each locked to its own OS thread
// for good, and returns their thread ids and a function that has each
// call uname(2) on its thread and returns the results.
func startThreads(n int) ([]int, func() []string) {
	tids := make(chan int)
	run := make(chan struct{})
	res := make(chan string)
	for i := 0; i < n; i++ {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread stays this goroutine's
			tids <- syscall.Gettid()
			<-run
			res <- uname()
			select {}
		}()
	}
	var ids []int
	for i := 0; i < n; i++ {
		ids = append(ids, <-tids)
	}
	return ids, func() []string {
		close(run)
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, <-res)
		}
		return out
	}
}

func helperThreads() (r helperReport) {
	// Threads that exist before the install, each with a goroutine
	// locked to it: TSYNC must reach them.
	ids, unameAll := startThreads(8)
	r.TIDs = ids
	if _, err := r.install(denyUname(), InstallOptions{}); err != nil {
		return r
	}
	r.ThreadUname = unameAll()
	r.Uname = uname()
	r.Tasks = tasks()
	return r
}

// TestInstallAllThreads installs a filter with TSYNC in a child whose
// threads were started before, and checks that every thread got it.
func TestInstallAllThreads(t *testing.T) {
	skipUnlessKernelTests(t)
	r := runInstalled(t, "threads", "SECCOMP_FILTER_FLAG_TSYNC")
	eperm := syscall.EPERM.Error()
	if r.Uname != eperm {
		t.Errorf("uname after install: %q, want %q", r.Uname, eperm)
	}
	for i, u := range r.ThreadUname {
		if u != eperm {
			t.Errorf("uname on pre-started thread %d: %q, want %q", r.TIDs[i], u, eperm)
		}
	}
	for _, tid := range r.TIDs {
		if _, ok := r.Tasks[strconv.Itoa(tid)]; !ok {
			t.Errorf("pre-started thread %d missing from the child's tasks", tid)
		}
	}
	if len(r.Tasks) < 9 {
		t.Errorf("%d threads: the helper did not start its threads", len(r.Tasks))
	}
	want := taskState{Seccomp: SECCOMP_MODE_FILTER, Filters: 1, NoNewPrivs: 1}
	for tid, st := range r.Tasks {
		if st != want {
			t.Errorf("thread %s: %+v, want %+v", tid, st, want)
		}
	}
}

func helperLog() (r helperReport) {
	// Filter 0 without LOG, filter 1 with it.
	if _, err := r.install(allowAll, InstallOptions{}); err != nil {
		return r
	}
	if _, err := r.install(denyUname(), InstallOptions{Flags: SECCOMP_FILTER_FLAG_LOG}); err != nil {
		return r
	}
	r.Uname = uname()
	r.Tasks = tasks()
	r.wait = true
	return r
}

// TestInstallLogFlag installs a filter with SECCOMP_FILTER_FLAG_LOG and
// reads the flag back from the kernel with PTRACE_SECCOMP_GET_METADATA.
func TestInstallLogFlag(t *testing.T) {
	skipUnlessKernelTests(t)
	var meta [2]uint64
	var metaErr error
	canTrace := os.Geteuid() == 0
	r := runInstallHelper(t, "log", helperRun{inspect: func(pid int) {
		if !canTrace {
			return
		}
		for i := range meta {
			if meta[i], metaErr = unix.FilterFlags(pid, i); metaErr != nil {
				return
			}
		}
	}})
	if !slices.Equal(r.Install, []string{"ok", "ok"}) {
		t.Fatalf("installs: %q", r.Install)
	}
	if want := "SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG"; r.Flags[1] != want {
		t.Errorf("installed with %s, want %s", r.Flags[1], want)
	}
	if r.Uname != syscall.EPERM.Error() {
		t.Errorf("uname: %q, want EPERM", r.Uname)
	}
	for tid, st := range r.Tasks {
		if st.Filters != 2 {
			t.Errorf("thread %s has %d filters, want 2", tid, st.Filters)
		}
	}
	switch {
	case !canTrace:
		t.Skip("reading filter flags with ptrace needs root")
	case errors.Is(metaErr, syscall.EIO) || errors.Is(metaErr, syscall.EINVAL):
		t.Skipf("PTRACE_SECCOMP_GET_METADATA unavailable (CONFIG_CHECKPOINT_RESTORE?): %v", metaErr)
	case metaErr != nil:
		t.Fatalf("PTRACE_SECCOMP_GET_METADATA: %v", metaErr)
	}
	if meta[0] != 0 || meta[1] != uint64(SECCOMP_FILTER_FLAG_LOG) {
		t.Errorf("kernel's filter flags: %v (filter 0, 1), want [0 %d]", meta, SECCOMP_FILTER_FLAG_LOG)
	}
}

func helperInvalid() (r helperReport) {
	// Refused by Validate before the kernel sees it.
	bad := bpf.Program{{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: 2}} // unaligned, and no ret
	r.install(bad, InstallOptions{})
	// The same program, and an empty one, handed to the kernel as they
	// are: the kernel refuses them. These set no_new_privs first, on a
	// thread that is then retired.
	for _, p := range [][]unix.SockFilter{{{Code: bad[0].Op, K: bad[0].K}}, {}} {
		_, err := installRaw(p, InstallOptions{})
		r.Install = append(r.Install, errText(err))
	}
	// Without TSYNC: the calling thread keeps no_new_privs.
	_, err := installRaw(nil, InstallOptions{NoTSync: true})
	r.Install = append(r.Install, errText(err))
	r.TIDs = []int{syscall.Gettid()}
	r.Uname = uname()
	r.Tasks = settledTasks(r.TIDs[0])
	return r
}

// TestInstallRefusesInvalidProgram checks that a refused program gives a
// clear error and leaves the child unfiltered, with no_new_privs only on
// the thread that installed without TSYNC.
func TestInstallRefusesInvalidProgram(t *testing.T) {
	skipUnlessKernelTests(t)
	r := runInstallHelper(t, "invalid", helperRun{})
	if len(r.Install) != 4 {
		t.Fatalf("installs: %q", r.Install)
	}
	for i, want := range []string{
		"install filter: the kernel would refuse the program: instruction 0:",
		"install filter: the kernel refused the program (flags SECCOMP_FILTER_FLAG_TSYNC): invalid argument",
		"install filter: the kernel refused the program (flags SECCOMP_FILTER_FLAG_TSYNC): invalid argument",
		"install filter: the kernel refused the program (flags 0): invalid argument",
	} {
		if !strings.HasPrefix(r.Install[i], want) {
			t.Errorf("install %d: %q, want %q...", i, r.Install[i], want)
		}
	}
	if r.Uname != "ok" {
		t.Errorf("uname after refused installs: %q, want ok", r.Uname)
	}
	notsync := strconv.Itoa(r.TIDs[0])
	for tid, st := range r.Tasks {
		want := taskState{}
		if tid == notsync || tid == strconv.Itoa(r.PID) && st.NoNewPrivs == 1 {
			// The thread that installed without TSYNC keeps
			// no_new_privs; so does the main thread if a failed
			// install ran there: the runtime parks it for good
			// rather than ending it, and it runs no Go code again.
			want.NoNewPrivs = 1
		}
		if st != want {
			t.Errorf("thread %s (pid %d) after refused installs: %+v, want %+v", tid, r.PID, st, want)
		}
	}
}

func helperTSyncConflict() (r helperReport) {
	// One thread installs a filter of its own, without TSYNC.
	tid := make(chan int)
	go func() {
		_, err := r.install(allowAll, InstallOptions{NoTSync: true}) // locks this goroutine to its thread for good
		if err != nil {
			tid <- -1
			return
		}
		tid <- syscall.Gettid()
		select {}
	}()
	if r.SyncTID = <-tid; r.SyncTID < 0 {
		return r
	}
	_, err := r.install(denyUname(), InstallOptions{})
	var se *SyncError
	if errors.As(err, &se) {
		r.TIDs = append(r.TIDs, se.TID)
	}
	// With NEW_LISTENER, TSYNC_ESRCH is added: the kernel names no thread.
	_, err = r.install(denyUname(), InstallOptions{Flags: SECCOMP_FILTER_FLAG_NEW_LISTENER})
	if errors.As(err, &se) {
		r.TIDs = append(r.TIDs, se.TID)
	}
	r.Uname = uname()
	r.Tasks = settledTasks(r.SyncTID)
	return r
}

// TestInstallTSyncConflict checks that a TSYNC failure names the thread
// that could not be synchronized and installs nothing.
func TestInstallTSyncConflict(t *testing.T) {
	skipUnlessKernelTests(t)
	r := runInstallHelper(t, "tsync-conflict", helperRun{})
	if len(r.Install) != 3 || r.Install[0] != "ok" {
		t.Fatalf("installs: %q", r.Install)
	}
	want := fmt.Sprintf("install filter: thread %d has a filter of its own and cannot be synchronized (TSYNC); nothing was installed", r.SyncTID)
	if r.Install[1] != want {
		t.Errorf("TSYNC install: %q, want %q", r.Install[1], want)
	}
	if !strings.Contains(r.Install[2], "TSYNC failed with ESRCH") {
		t.Errorf("TSYNC|NEW_LISTENER install: %q, want a SyncError without thread", r.Install[2])
	}
	if !slices.Equal(r.TIDs, []int{r.SyncTID, 0}) {
		t.Errorf("SyncError.TID = %v, want [%d 0]", r.TIDs, r.SyncTID)
	}
	if r.Uname != "ok" {
		t.Errorf("uname after failed installs: %q, want ok", r.Uname)
	}
	for tid, st := range r.Tasks {
		want := taskState{}
		switch {
		case tid == strconv.Itoa(r.SyncTID):
			want = taskState{Seccomp: SECCOMP_MODE_FILTER, Filters: 1, NoNewPrivs: 1}
		case tid == strconv.Itoa(r.PID) && st.NoNewPrivs == 1:
			want.NoNewPrivs = 1 // a retired main thread, parked for good
		}
		if st != want {
			t.Errorf("thread %s: %+v, want %+v", tid, st, want)
		}
	}
}

func helperListener() (r helperReport) {
	in, err := r.install(denyUname(), InstallOptions{Flags: SECCOMP_FILTER_FLAG_NEW_LISTENER})
	if err != nil {
		return r
	}
	r.Listener, _ = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", in.ListenerFD))
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(in.ListenerFD), syscall.F_GETFD, 0)
	r.CloseOnExec = e == 0 && fl&syscall.FD_CLOEXEC != 0
	r.Uname = uname()
	return r
}

// TestInstallListener installs with NEW_LISTENER (and so TSYNC_ESRCH).
func TestInstallListener(t *testing.T) {
	skipUnlessKernelTests(t)
	r := runInstalled(t, "listener", "SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_NEW_LISTENER|SECCOMP_FILTER_FLAG_TSYNC_ESRCH")
	if r.Listener != "anon_inode:seccomp notify" || !r.CloseOnExec {
		t.Errorf("listener descriptor: %q, close-on-exec %v; want a close-on-exec seccomp notify descriptor", r.Listener, r.CloseOnExec)
	}
	if r.Uname != syscall.EPERM.Error() {
		t.Errorf("uname: %q, want EPERM", r.Uname)
	}
}

func helperPrivileges() (r helperReport) {
	if _, err := r.install(denyUname(), InstallOptions{SkipNoNewPrivs: true}); err == nil {
		return r
	}
	r.Tasks = tasks()
	r.install(denyUname(), InstallOptions{})
	r.Uname = uname()
	return r
}

// TestInstallPrivileges runs a child without CAP_SYS_ADMIN (as nobody,
// when the test runs as root): without no_new_privs the kernel refuses;
// with it (the default) the install works.
func TestInstallPrivileges(t *testing.T) {
	skipUnlessKernelTests(t)
	o := helperRun{}
	switch {
	case os.Geteuid() == 0:
		o.asUser = 65534
	case testenv.HasCapability(testenv.CapSysAdmin):
		t.Skip("the test process has CAP_SYS_ADMIN without being root")
	}
	r := runInstallHelper(t, "privileges", o)
	if len(r.Install) != 2 {
		t.Fatalf("installs: %q; want a refusal without no_new_privs", r.Install)
	}
	if want := "install filter: no_new_privs is not set (SkipNoNewPrivs) and the process lacks CAP_SYS_ADMIN: permission denied"; r.Install[0] != want {
		t.Errorf("install without no_new_privs: %q, want %q", r.Install[0], want)
	}
	for tid, st := range r.Tasks {
		if st != (taskState{}) {
			t.Errorf("thread %s after the refusal: %+v, want unfiltered", tid, st)
		}
	}
	if r.Install[1] != "ok" || r.Uname != syscall.EPERM.Error() {
		t.Errorf("install with no_new_privs: %q, then uname %q; want ok and EPERM", r.Install[1], r.Uname)
	}
}

func helperProbeFiltered() (r helperReport) {
	// Kill the process on any number with the x32 bit, as libseccomp's
	// x86_64 filters do: Probe must not make its x32 system call here.
	p := bpf.Program{
		{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: OffsetNr},
		{Op: bpf.BPF_JMP | bpf.BPF_JGE | bpf.BPF_K, K: arch.X32SyscallBit, Jf: 1},
		{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_KILL_PROCESS},
		{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ALLOW},
	}
	if _, err := r.install(p, InstallOptions{}); err != nil {
		return r
	}
	f, err := Probe()
	if err != nil {
		r.Fatal = err.Error()
		return r
	}
	r.Probe = f
	r.Uname = uname()
	return r
}

// TestProbeUnderFilter probes from a filtered child.
func TestProbeUnderFilter(t *testing.T) {
	skipUnlessKernelTests(t)
	r := runInstalled(t, "probe-filtered", "")
	f := r.Probe
	if f.Mode != SECCOMP_MODE_FILTER || f.Filters != 1 || !f.NoNewPrivs {
		t.Errorf("probe under a filter: mode %d, %d filters, no_new_privs %v; want 2, 1, true", f.Mode, f.Filters, f.NoNewPrivs)
	}
	if !f.HasFlag(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG) {
		t.Errorf("flags under a filter: %v", f.Flags)
	}
	if f.Arch == "x86_64" {
		x32 := f.Compat[1]
		if !strings.Contains(x32.Source, "not probed: the calling thread is filtered") {
			t.Errorf("x32 under a filter: %s", x32.Detection)
		}
	}
}

// TestInstallFlags checks the flag rules, which need no kernel.
func TestInstallFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    InstallOptions
		want Flags
		err  string
	}{
		{"default", InstallOptions{}, SECCOMP_FILTER_FLAG_TSYNC, ""},
		{"no tsync", InstallOptions{NoTSync: true, Flags: SECCOMP_FILTER_FLAG_LOG}, SECCOMP_FILTER_FLAG_LOG, ""},
		{"listener", InstallOptions{Flags: SECCOMP_FILTER_FLAG_NEW_LISTENER},
			SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, ""},
		{"listener no tsync", InstallOptions{NoTSync: true, Flags: SECCOMP_FILTER_FLAG_NEW_LISTENER}, SECCOMP_FILTER_FLAG_NEW_LISTENER, ""},
		{"killable without listener", InstallOptions{Flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV}, 0,
			"install filter: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs SECCOMP_FILTER_FLAG_NEW_LISTENER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := installFlags(tc.o)
			if errText(err) != tc.err && !(err == nil && tc.err == "") {
				t.Errorf("error %q, want %q", errText(err), tc.err)
			}
			if got != tc.want {
				t.Errorf("flags %s, want %s", got, tc.want)
			}
		})
	}
}

// TestInstallErrors checks the explanation of each errno. Only the EINVAL
// case talks to the kernel, with NULL programs that install nothing.
func TestInstallErrors(t *testing.T) {
	for _, tc := range []struct {
		errno unix.Errno
		flags Flags
		o     InstallOptions
		want  string
	}{
		{unix.EACCES, SECCOMP_FILTER_FLAG_TSYNC, InstallOptions{SkipNoNewPrivs: true}, "lacks CAP_SYS_ADMIN"},
		{unix.EINVAL, SECCOMP_FILTER_FLAG_TSYNC, InstallOptions{}, "the kernel refused the program (flags SECCOMP_FILTER_FLAG_TSYNC)"},
		{unix.EFAULT, 0, InstallOptions{}, "could not read it"},
		{unix.ENOMEM, 0, InstallOptions{}, "32768 instructions"},
		{unix.ESRCH, 0, InstallOptions{}, "TSYNC failed with ESRCH"},
		{unix.EBUSY, 0, InstallOptions{}, "notification listener"},
		{unix.ENOSYS, 0, InstallOptions{}, "no seccomp(2): not supported"},
		{unix.EPERM, 0, InstallOptions{}, "denies seccomp(2)"},
	} {
		err := installError(tc.errno, tc.flags, tc.o)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %q, want it to contain %q", tc.errno, err, tc.want)
		}
	}
}

// TestFlagsError probes flags with NULL programs, which install nothing.
func TestFlagsError(t *testing.T) {
	if err := unix.ProbeFlags(0); !errors.Is(err, unix.EFAULT) {
		t.Skipf("the kernel has no seccomp filter mode: %v", err)
	}
	if err := flagsError(SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG, InstallOptions{}); err != nil {
		t.Errorf("TSYNC|LOG: %v", err)
	}
	err := flagsError(SECCOMP_FILTER_FLAG_TSYNC|1<<20, InstallOptions{})
	if want := "install filter: this kernel does not know 0x100000: not supported"; errText(err) != want || !errors.Is(err, ErrNotSupported) {
		t.Errorf("unknown flag: %v, want %q wrapping ErrNotSupported", err, want)
	}
	// Known flags the kernel refuses together.
	err = flagsError(SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_NEW_LISTENER, InstallOptions{})
	if want := "install filter: this kernel refuses the combination SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_NEW_LISTENER: not supported"; errText(err) != want {
		t.Errorf("TSYNC|NEW_LISTENER: %v, want %q", err, want)
	}
}

// Outer answers the named system calls with 0 without running them
// (ERRNO with errno 0), as a nested sandbox or a notification supervisor
// may, and allows everything else.
func outer(names ...string) bpf.Program {
	host, _ := arch.Native()
	p := bpf.Program{{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: OffsetNr}}
	for _, n := range names {
		nr, _ := host.SyscallNumber(n)
		p = append(p, bpf.Instruction{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: nr, Jt: uint8(len(names) - len(p) + 1)})
	}
	return append(p,
		bpf.Instruction{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ALLOW},
		bpf.Instruction{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ERRNO})
}

// helperFaked installs outer(names...), without no_new_privs (so that a
// faked prctl leaves it off), then tries to install denyUname with and
// without TSYNC.
func helperFaked(names ...string) (r helperReport) {
	return helperFakedBy(outer(names...))
}

// helperFakedNotNull fakes seccomp(2) only when it is given a program: the
// probe with a NULL program gets the kernel's EFAULT, and only the count
// of filters tells.
func helperFakedNotNull() (r helperReport) {
	host, _ := arch.Native()
	nr, _ := host.SyscallNumber("seccomp")
	return helperFakedBy(bpf.Program{
		{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: OffsetNr},
		{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: nr, Jf: 4},
		{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: bpf.OffsetArgs + 2*8},
		{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: 0, Jf: 3},
		{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: bpf.OffsetArgs + 2*8 + 4},
		{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: 0, Jf: 1},
		{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ALLOW},
		{Op: bpf.BPF_RET | bpf.BPF_K, K: SECCOMP_RET_ERRNO},
	})
}

func helperFakedBy(p bpf.Program) (r helperReport) {
	if _, err := r.install(p, InstallOptions{SkipNoNewPrivs: true}); err != nil {
		return r
	}
	r.install(denyUname(), InstallOptions{})
	go func() {
		runtime.LockOSThread() // retired if the install fails
		r.install(denyUname(), InstallOptions{NoTSync: true})
		r.Uname = uname()
		r.Tasks = tasks()
		if r.Install[1] != "ok" {
			runtime.UnlockOSThread()
		}
		close(done)
	}()
	<-done
	return r
}

var done = make(chan struct{})

// TestInstallFaked runs the install under a filter that answers
// seccomp(2), prctl(2) or both with 0: Install must fail, and the calls
// the filter would deny must still succeed.
func TestInstallFaked(t *testing.T) {
	skipUnlessKernelTests(t)
	if !testenv.HasCapability(testenv.CapSysAdmin) {
		t.Skip("needs CAP_SYS_ADMIN: the outer filter is installed without no_new_privs")
	}
	for _, name := range []string{"faked-seccomp", "faked-prctl", "faked-both", "faked-not-null"} {
		t.Run(name, func(t *testing.T) {
			r := runInstallHelper(t, name, helperRun{})
			if r.Fatal != "" || len(r.Install) != 3 || r.Install[0] != "ok" {
				t.Fatalf("outer filter: %+v", r)
			}
			for i, msg := range r.Install[1:] {
				if !strings.Contains(msg, ErrFaked.Error()) {
					t.Errorf("install %d under %s: %q, want an error that says %q", i+1, name, msg, ErrFaked)
				}
			}
			if r.Uname != "ok" {
				t.Errorf("uname after the refused installs: %s, want ok (nothing installed)", r.Uname)
			}
			for tid, st := range r.Tasks {
				if st.Filters != 1 {
					t.Errorf("thread %s: %d filters, want 1 (the outer one)", tid, st.Filters)
				}
			}
		})
	}
}
