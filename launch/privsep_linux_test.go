package launch_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/syscage/syscage/launch"
)

// workers are the programs launch.Worker starts in these tests, by name.
var workers = map[string]func(files []*os.File){
	"greeter": greeter,
	"fds":     workerFDs,
	"locked":  workerLocked,
}

// workerFDs prints the descriptors it has, from 3 up, with what they are.
func workerFDs(files []*os.File) {
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && fd >= 3 {
			fmt.Printf("%d %s\n", fd, target)
		}
	}
}

// workerLocked locks itself down with WorkerProfile and reports what it
// can do: start threads, signal itself, and not signal its parent, fork
// or start a thread in a new namespace.
func workerLocked(files []*os.File) {
	pid, ppid := syscall.Getpid(), syscall.Getppid() // getppid is denied after the lockdown
	if err := launch.Lockdown(launch.WorkerProfile()); err != nil {
		fmt.Println("lockdown:", err)
		os.Exit(1)
	}
	errno := func(err error) string {
		if err == nil {
			return "ok"
		}
		return err.(syscall.Errno).Error()
	}
	// New OS threads: goroutines that lock theirs make the runtime start more.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			syscall.Gettid()
		}()
	}
	wg.Wait()
	fmt.Println("threads ok")
	_, _, e := syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(pid), uintptr(syscall.Gettid()), 0)
	fmt.Println("tgkill self:", errno(errnoOf(e)))
	_, _, e = syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(ppid), uintptr(ppid), 0)
	fmt.Println("tgkill parent:", errno(errnoOf(e)))
	// A fork: clone(SIGCHLD). The filter answers before the kernel would
	// make a child, so no child runs Go code here.
	r, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if e == 0 && r == 0 {
		os.Exit(0)
	}
	fmt.Println("clone fork:", errno(errnoOf(e)))
	// A "thread" in a new user namespace, with the thread flags set: the
	// kernel refuses CLONE_NEWUSER with CLONE_THREAD anyway (EINVAL), so
	// only EPERM shows the filter decided.
	r, _, e = syscall.RawSyscall6(syscall.SYS_CLONE, 0x50f00|syscall.CLONE_NEWUSER, 0, 0, 0, 0, 0)
	if e == 0 && r == 0 {
		os.Exit(0)
	}
	fmt.Println("clone newuser:", errno(errnoOf(e)))
	_, _, e = syscall.RawSyscall(435, 0, 0, 0) // clone3
	fmt.Println("clone3:", errno(errnoOf(e)))
}

func errnoOf(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// TestWorkerInheritsNothing: a descriptor the supervisor opened without
// O_CLOEXEC (a raw open(2), as C code does) does not reach the worker;
// the files passed do.
func TestWorkerInheritsNothing(t *testing.T) {
	fd, err := syscall.Open("/etc/hostname", syscall.O_RDONLY, 0) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	passed, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer passed.Close()
	out := fdsWorker(t, passed)
	if !strings.Contains(string(out), "3 /etc/passwd\n") {
		t.Errorf("the passed file is not descriptor 3:\n%s", out)
	}
	if strings.Contains(string(out), "/etc/hostname") {
		t.Errorf("the worker inherited the supervisor's raw descriptor %d:\n%s", fd, out)
	}
}

// TestWorkerProfileThreads: a locked-down worker starts threads and
// signals itself, but cannot signal its supervisor, fork, or use clone3.
func TestWorkerProfileThreads(t *testing.T) {
	cmd, err := launch.Worker("locked")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("worker: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"threads ok",
		"tgkill self: ok",
		"tgkill parent: operation not permitted",
		"clone fork: operation not permitted",
		"clone newuser: operation not permitted",
		"clone3: function not implemented",
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("worker said\n%s\nwant\n%s", out, want)
	}
}
