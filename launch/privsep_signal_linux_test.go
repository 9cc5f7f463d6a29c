package launch_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/launch/internal/workerload"
)

func init() {
	workers["signals"] = workerSignals
	workers["load"] = workerLoad
	workers["x32"] = workerX32
}

// runWorker runs cmd to its end and returns its combined output; a worker
// that hangs is killed after a minute, which fails the test.
func runWorker(t *testing.T, cmd *exec.Cmd) ([]byte, error) {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !watchdog.Stop() {
		t.Fatalf("the worker hung:\n%s", out.String())
	}
	return []byte(out.String()), err
}

// workerX32 locks itself down with WorkerProfile and calls tgkill at the
// victim by its x32 number (the x32 bit set on x86_64's number), an ABI
// the worker's filter does not cover.
func workerX32(files []*os.File) {
	victim, _ := strconv.Atoi(os.Getenv(victimEnv))
	if err := launch.Lockdown(launch.WorkerProfile()); err != nil {
		fmt.Println("lockdown:", err)
		os.Exit(1)
	}
	const x32Bit = 0x40000000
	_, _, e := syscall.RawSyscall(x32Bit|syscall.SYS_TGKILL, uintptr(victim), uintptr(victim), uintptr(syscall.SIGKILL))
	fmt.Printf("x32 tgkill victim: %v\n", errnoOf(e))
}

// TestWorkerOtherABI: a call by the number of an ABI the worker's filter
// does not cover (x32 on x86_64) ends the worker, every thread of it, by
// SIGSYS; the victim lives on.
func TestWorkerOtherABI(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("x32 numbers exist on x86_64 only")
	}
	victim := exec.Command("sleep", "1000")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer victim.Wait()
	defer victim.Process.Kill()
	cmd, err := launch.Worker("x32")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), victimEnv+"="+strconv.Itoa(victim.Process.Pid))
	out, err := runWorker(t, cmd)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Errorf("worker ended by %v, want SIGSYS:\n%s", err, out)
	}
	if err := victim.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the victim is gone: %v", err)
	}
}

// victimEnv names, for the signals worker, the process it tries to
// signal: a process of the test's own, not its supervisor.
const victimEnv = "SYSCAGE_TEST_VICTIM"

// workerSignals locks itself down with WorkerProfile and then tries every
// way a process has to signal another: the signal calls (with SIGKILL at
// the victim, signal 0 at its supervisor), and a descriptor's owner
// (fcntl F_SETOWN, F_SETOWN_EX, F_SETSIG, O_ASYNC on files[0], a pipe the
// test writes to afterwards, which would send the signal). files[1] is a
// pidfd of the victim. It prints each call's errno; the calls on itself,
// and the fcntl commands the Go runtime and os use (first: F_SETFL
// replaces the flags), must still work.
func workerSignals(files []*os.File) {
	victim, err := strconv.Atoi(os.Getenv(victimEnv))
	if err != nil {
		fmt.Println("no victim:", err)
		os.Exit(1)
	}
	pid, ppid := syscall.Getpid(), syscall.Getppid() // getppid is denied after the lockdown
	pipeFD, pidFD := files[0].Fd(), files[1].Fd()
	if err := launch.Lockdown(launch.WorkerProfile()); err != nil {
		fmt.Println("lockdown:", err)
		os.Exit(1)
	}
	v, kill := uintptr(victim), uintptr(syscall.SIGKILL)
	// A siginfo as sigqueue(3) makes it (si_code SI_QUEUE), which the
	// kernel lets a process send to another of its user.
	var info [128]byte
	*(*int32)(unsafe.Pointer(&info[0])) = int32(syscall.SIGKILL)
	*(*int32)(unsafe.Pointer(&info[8])) = -1            // SI_QUEUE
	owner := struct{ typ, pid int32 }{1, int32(victim)} // F_OWNER_PID
	const pidfdSendSignal = 424
	calls := []struct {
		what string
		nr   uintptr
		args [4]uintptr
	}{
		{"fcntl F_GETFL", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_GETFL}},
		{"fcntl F_SETFL O_NONBLOCK", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_SETFL, syscall.O_NONBLOCK}},
		{"fcntl F_SETFD FD_CLOEXEC", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_SETFD, syscall.FD_CLOEXEC}},
		{"tgkill victim", syscall.SYS_TGKILL, [4]uintptr{v, v, kill}},
		{"tkill victim", syscall.SYS_TKILL, [4]uintptr{v, kill}},
		{"kill victim", syscall.SYS_KILL, [4]uintptr{v, kill}},
		{"kill victim's group", syscall.SYS_KILL, [4]uintptr{uintptr(-victim), kill}},
		{"rt_sigqueueinfo victim", syscall.SYS_RT_SIGQUEUEINFO, [4]uintptr{v, kill, uintptr(unsafe.Pointer(&info))}},
		{"rt_tgsigqueueinfo victim", syscall.SYS_RT_TGSIGQUEUEINFO, [4]uintptr{v, v, kill, uintptr(unsafe.Pointer(&info))}},
		{"pidfd_send_signal victim", pidfdSendSignal, [4]uintptr{pidFD, kill, 0, 0}},
		{"kill supervisor", syscall.SYS_KILL, [4]uintptr{uintptr(ppid), 0}},
		{"tgkill supervisor", syscall.SYS_TGKILL, [4]uintptr{uintptr(ppid), uintptr(ppid), 0}},
		{"fcntl F_SETOWN victim", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_SETOWN, v}},
		{"fcntl F_SETOWN victim's group", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_SETOWN, uintptr(-victim)}},
		{"fcntl F_SETOWN_EX victim", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_SETOWN_EX, uintptr(unsafe.Pointer(&owner))}},
		{"fcntl F_SETSIG SIGKILL", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_SETSIG, kill}},
		{"fcntl F_SETFL O_ASYNC", syscall.SYS_FCNTL, [4]uintptr{pipeFD, syscall.F_SETFL, syscall.O_ASYNC | syscall.O_NONBLOCK}},
		{"kill self", syscall.SYS_KILL, [4]uintptr{uintptr(pid), 0}},
		{"tgkill self", syscall.SYS_TGKILL, [4]uintptr{uintptr(pid), uintptr(syscall.Gettid()), 0}},
	}
	for _, c := range calls {
		_, _, e := syscall.RawSyscall6(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], 0, 0)
		fmt.Printf("%s: %v\n", c.what, errnoOf(e))
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, pipeFD, syscall.F_DUPFD_CLOEXEC, 0)
	fmt.Printf("fcntl F_DUPFD_CLOEXEC: %v\n", errnoOf(e))
	if e == 0 {
		syscall.Close(int(r))
	}
}

// TestWorkerSignalsNoOne: a locked-down worker cannot signal another
// process by any call, nor make a descriptor signal one for it; the
// victim, a process of the test, lives on until the test ends it.
func TestWorkerSignalsNoOne(t *testing.T) {
	victim := exec.Command("sleep", "1000")
	victim.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group of its own
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer victim.Process.Kill()
	pidfd, _, e := syscall.Syscall(434, uintptr(victim.Process.Pid), 0, 0) // pidfd_open
	if e != 0 {
		t.Fatalf("pidfd_open: %v", e)
	}
	pidf := os.NewFile(pidfd, "victim pidfd")
	defer pidf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close() // a reader, so that the write below is input
	defer w.Close()
	cmd, err := launch.Worker("signals", r, pidf)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), victimEnv+"="+strconv.Itoa(victim.Process.Pid))
	out, err := runWorker(t, cmd)
	if err != nil {
		t.Fatalf("worker: %v\n%s", err, out)
	}
	// Input on the pipe signals its owner, if the worker could set one
	// (synchronously, within the write).
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	// The victim ends by this SIGTERM unless a SIGKILL (or SIGIO) came
	// first: the kernel drops signals to a process already dying.
	victim.Process.Signal(syscall.SIGTERM)
	werr := victim.Wait()
	if ws, ok := victim.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("the victim ended by %v, not by the test's SIGTERM: the worker signalled it", werr)
	}
	var want []string
	for _, c := range []string{"fcntl F_GETFL", "fcntl F_SETFL O_NONBLOCK", "fcntl F_SETFD FD_CLOEXEC"} {
		want = append(want, c+": <nil>")
	}
	for _, c := range []string{
		"tgkill victim", "tkill victim", "kill victim", "kill victim's group",
		"rt_sigqueueinfo victim", "rt_tgsigqueueinfo victim", "pidfd_send_signal victim",
		"kill supervisor", "tgkill supervisor",
		"fcntl F_SETOWN victim", "fcntl F_SETOWN victim's group", "fcntl F_SETOWN_EX victim",
		"fcntl F_SETSIG SIGKILL", "fcntl F_SETFL O_ASYNC",
	} {
		want = append(want, c+": operation not permitted")
	}
	for _, c := range []string{
		"kill self", "tgkill self", "fcntl F_DUPFD_CLOEXEC",
	} {
		want = append(want, c+": <nil>")
	}
	if got := strings.TrimSuffix(string(out), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("worker said\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// workerLoad locks itself down with WorkerProfile and then works the Go
// runtime hard: many OS threads started at once, goroutines that never
// reach a preemption point (the garbage collector's stop-the-world then
// needs the runtime's signal to its own threads), garbage collections
// and memory returned to the system, timers.
func workerLoad(files []*os.File) {
	if err := launch.Lockdown(launch.WorkerProfile()); err != nil {
		fmt.Println("lockdown:", err)
		os.Exit(1)
	}
	// Threads: every goroutine holds its own locked thread at once.
	fmt.Printf("threads: %d\n", workerload.Threads(64))

	// Preemption: tight loops without calls while the collector runs.
	workerload.Spin(2, func() {
		var keep [][]byte
		for i := range 100 {
			keep = append(keep, make([]byte, 64<<10))
			if i%20 == 0 {
				keep = keep[:0]
				runtime.GC()
			}
		}
		debug.FreeOSMemory()
	})
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("gc: %v\n", ms.NumGC >= 5)

	// Timers and sleeping goroutines.
	var sleepers sync.WaitGroup
	for i := range 16 {
		sleepers.Add(1)
		go func() {
			defer sleepers.Done()
			time.Sleep(time.Duration(i) * time.Millisecond)
			<-time.After(time.Millisecond)
		}()
	}
	sleepers.Wait()
	fmt.Println("timers: ok")
}

// TestWorkerProfileRuntime: under WorkerProfile the Go runtime still
// starts threads, preempts, collects garbage and runs timers.
func TestWorkerProfileRuntime(t *testing.T) {
	cmd, err := launch.Worker("load")
	if err != nil {
		t.Fatal(err)
	}
	out, err := runWorker(t, cmd)
	if err != nil {
		t.Fatalf("worker: %v\n%s", err, out)
	}
	want := "threads: 64\ngc: true\ntimers: ok\n"
	if string(out) != want {
		t.Errorf("worker said\n%s\nwant\n%s", out, want)
	}
}

// TestWorkerProfilePureGo: a worker built without cgo, whose runtime
// starts threads with its own clone flags (CLONE_SETTLS added on
// x86_64), starts them under WorkerProfile too, and still cannot fork.
func TestWorkerProfilePureGo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "goworker")
	build := exec.Command("go", "build", "-o", bin, "./testdata/goworker")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the worker: %v\n%s", err, out)
	}
	out, err := runWorker(t, exec.Command(bin, launch.WorkerArg, "goworker", "0"))
	if err != nil {
		t.Fatalf("worker: %v\n%s", err, out)
	}
	if want := "threads: 32, fork: operation not permitted\n"; string(out) != want {
		t.Errorf("worker said %q, want %q", out, want)
	}
}
