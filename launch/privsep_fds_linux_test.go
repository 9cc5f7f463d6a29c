package launch_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/syscage/syscage/launch"
)

// TestWorkerInheritsNoLeak: whatever kind of descriptor the supervisor
// holds without O_CLOEXEC, at whatever number, none reaches the worker;
// the files passed do, at 3, 4, ...
func TestWorkerInheritsNoLeak(t *testing.T) {
	raw := func(path string, flags int) int {
		fd, err := syscall.Open(path, flags, 0) // no O_CLOEXEC
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Close(fd) })
		return fd
	}
	raw("/etc/shadow", syscall.O_RDONLY)
	raw("/etc", syscall.O_RDONLY|syscall.O_DIRECTORY|0x200000) // O_PATH: a directory to open from
	high := raw("/etc/group", syscall.O_RDONLY)
	if err := syscall.Dup3(high, 900, 0); err != nil { // far above the passed files
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(900) })
	sock, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(sock) })
	var pipe [2]int
	if err := syscall.Pipe(pipe[:]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(pipe[0]); syscall.Close(pipe[1]) })

	a, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := os.Open("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	out := fdsWorker(t, a, b)
	// The worker's own descriptors (its runtime's, the one it lists
	// /proc/self/fd with) are not in /etc, sockets or pipes.
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch {
		case line == "3 /etc/passwd", line == "4 /etc/hostname":
		case strings.Contains(line, "/etc"), strings.Contains(line, "socket:"), strings.Contains(line, "pipe:"):
			t.Errorf("the worker has a descriptor of the supervisor: %s", line)
		}
	}
	if !strings.Contains(string(out), "3 /etc/passwd\n4 /etc/hostname\n") {
		t.Errorf("the passed files are not descriptors 3 and 4:\n%s", out)
	}
}

// TestWorkerNilFile: a nil file, which would leave its number closed in
// the worker (or holding one of the worker runtime's own descriptors), is
// refused.
func TestWorkerNilFile(t *testing.T) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cmd, err := launch.Worker("fds", nil, f); err == nil {
		t.Errorf("Worker with a nil file = %v, want an error", cmd.Args)
	}
}

// TestWorkerMainChecksFiles: a worker started with a count of files it
// was not given (by hand, not by Worker) stops with an error rather than
// take descriptors it did not inherit, the Go runtime's own among them,
// for the supervisor's.
func TestWorkerMainChecksFiles(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, launch.WorkerArg, "fds", "2")
	out, err := runWorker(t, cmd)
	if cmd.ProcessState.ExitCode() != 100 || !strings.Contains(string(out), "not inherited") {
		t.Errorf("worker without its files: %v\n%s\nwant exit status 100 and the reason", err, out)
	}
}

// TestWorkerInheritsNoUnstatable: a descriptor whose file cannot be
// stat'ed (the root of a FUSE mount whose server is gone: ENOTCONN) is
// closed in the worker like any other.
func TestWorkerInheritsNoUnstatable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a FUSE file system needs root")
	}
	dev, err := syscall.Open("/dev/fuse", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no FUSE: %v", err)
	}
	mnt := t.TempDir()
	opts := "fd=" + strconv.Itoa(dev) + ",rootmode=40000,user_id=0,group_id=0"
	if err := syscall.Mount("syscage-test", mnt, "fuse", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		syscall.Close(dev)
		t.Skipf("mount FUSE: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	// O_PATH opens the root without asking the server; no O_CLOEXEC.
	fd, err := syscall.Open(mnt, syscall.O_RDONLY|syscall.O_DIRECTORY|0x200000, 0)
	if err != nil {
		syscall.Close(dev)
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	syscall.Close(dev) // the server is gone: the connection is aborted
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err == nil {
		t.Fatalf("fstat of the dead FUSE root works: the test shows nothing")
	}
	out := fdsWorker(t)
	if strings.Contains(string(out), mnt) {
		t.Errorf("the worker inherited the supervisor's descriptor %d of %s:\n%s", fd, mnt, out)
	}
}

// TestWorkerInheritsNoRace: descriptors another goroutine of the
// supervisor opens without O_CLOEXEC while workers start (between their
// fork and exec) do not reach them either.
func TestWorkerInheritsNoRace(t *testing.T) {
	stop := make(chan struct{})
	churned := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				churned <- n
				return
			default:
			}
			if fd, err := syscall.Open("/etc/shadow", syscall.O_RDONLY, 0); err == nil {
				syscall.Close(fd)
				n++
			}
		}
	}()
	defer func() {
		close(stop)
		if n := <-churned; n == 0 {
			t.Errorf("no descriptor was opened while the workers started")
		}
	}()
	for range 4 {
		out := fdsWorker(t)
		if strings.Contains(string(out), "/etc/shadow") {
			t.Fatalf("the worker inherited a descriptor the supervisor opened meanwhile:\n%s", out)
		}
	}
}

// fdsWorker runs the fds worker with files and returns what it printed:
// its descriptors and what they name.
func fdsWorker(t *testing.T, files ...*os.File) []byte {
	t.Helper()
	cmd, err := launch.Worker("fds", files...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runWorker(t, cmd)
	if err != nil {
		t.Fatalf("worker: %v\n%s", err, out)
	}
	return out
}
