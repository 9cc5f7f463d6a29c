package launch_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
)

// The test binary plays three parts besides the tests: the launcher's
// stage (launch.Init, for every Cmd the tests start), the privilege
// separation workers below, and the target programs registered with
// testenv.Program. Filters are only ever installed in those children,
// never in the test process.

func TestMain(m *testing.M) {
	launch.Init()
	if name, files, ok, err := launch.WorkerMain(); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(100)
		}
		if w, ok := workers[name]; ok {
			w(files)
		}
		os.Exit(0)
	}
	testenv.Main(m)
}

func init() {
	testenv.Program("uname", targetUname)
	testenv.Program("threads", targetThreads)
	testenv.Program("state", targetState)
	testenv.Program("calls", targetCalls)
}

// targetUname calls uname(2) and prints its errno.
func targetUname() {
	var u syscall.Utsname
	err := syscall.Uname(&u)
	errno := 0
	if e, ok := err.(syscall.Errno); ok {
		errno = int(e)
	}
	fmt.Printf("uname errno %d\n", errno)
}

// targetThreads starts threads, then prints Seccomp_filters of each.
func targetThreads() {
	const n = 8
	var ready, done sync.WaitGroup
	stop := make(chan struct{})
	for range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread() // a thread of its own each
			ready.Done()
			<-stop
		}()
	}
	ready.Wait()
	tasks, _ := os.ReadDir("/proc/self/task")
	out := map[string]string{}
	for _, t := range tasks {
		b, _ := os.ReadFile("/proc/self/task/" + t.Name() + "/status")
		out[t.Name()] = testenv.StatusField(string(b), "Seccomp_filters")
	}
	close(stop)
	done.Wait()
	json.NewEncoder(os.Stdout).Encode(out)
}

// state is what the state target prints.
type state struct {
	FDs        []int
	Links      map[int]string // readlink of each descriptor
	Env        []string
	Caps       map[string]string
	NoNewPrivs string
	Seccomp    string
	Read3      string // what descriptor 3 reads, if open
}

func targetState() {
	var s state
	// Raw system calls: the os package would open the runtime's poller
	// descriptors first.
	dfd, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 4096)
	n, _ := syscall.ReadDirent(dfd, buf)
	var names []string
	_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	syscall.Close(dfd)
	for _, name := range names {
		if fd, _ := strconv.Atoi(name); fd != dfd {
			s.FDs = append(s.FDs, fd)
		}
	}
	slices.Sort(s.FDs)
	s.Links = map[int]string{}
	for _, fd := range s.FDs {
		s.Links[fd], _ = os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	}
	s.Env = os.Environ()
	b, _ := os.ReadFile("/proc/self/status")
	s.Caps = map[string]string{}
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		s.Caps[k] = testenv.StatusField(string(b), k)
	}
	s.NoNewPrivs = testenv.StatusField(string(b), "NoNewPrivs")
	s.Seccomp = testenv.StatusField(string(b), "Seccomp")
	if slices.Contains(s.FDs, 3) {
		buf := make([]byte, 64)
		n, _ := syscall.Read(3, buf)
		s.Read3 = string(buf[:max(n, 0)])
	}
	json.NewEncoder(os.Stdout).Encode(s)
}

// targetCalls times system calls in a loop and prints ns per call: getppid
// (which docker-default allows unconditionally: the kernel's action cache
// answers it without running the filter) and personality(0xffffffff)
// (allowed by argument rules: the filter runs).
func targetCalls() {
	const n = 200000
	time1 := func(nr, arg uintptr) float64 {
		start := time.Now()
		for range n {
			syscall.RawSyscall(nr, arg, 0, 0)
		}
		return float64(time.Since(start).Nanoseconds()) / n
	}
	out := map[string]float64{
		"getppid":     time1(syscall.SYS_GETPPID, 0),
		"personality": time1(syscall.SYS_PERSONALITY, 0xffffffff),
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
