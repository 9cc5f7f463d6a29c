package record

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

// workloads are the programs a re-executed test binary runs (see
// TestMain), by name; each returns its exit status.
var workloads = map[string]func(args []string) int{
	"enforce": enforce,
	"reads": func(args []string) int {
		n, _ := strconv.Atoi(args[0])
		return reads(n)
	},
	"x32": func([]string) int {
		// getpid through the x32 table: the filter sees it even on a
		// kernel without x32 support, which then answers ENOSYS.
		syscall.RawSyscall(0x40000000|syscall.SYS_GETPID, 0, 0, 0)
		return 0
	},
	"execthread": func(args []string) int {
		// execve from a thread that is not the leader: the kernel gives
		// the exec'ing thread the leader's id.
		// The main goroutine holds the thread it runs on (the leader, as a
		// rule); the goroutine that executes checks it runs on another.
		runtime.LockOSThread()
		done := make(chan error)
		go func() {
			runtime.LockOSThread()
			if syscall.Gettid() == os.Getpid() {
				done <- fmt.Errorf("the exec'ing goroutine runs on the leader thread")
				return
			}
			done <- syscall.Exec(args[0], args, os.Environ())
		}()
		fmt.Fprintln(os.Stderr, <-done)
		return 1
	},
	"noptrace": func([]string) int { return denyThenRecord("ptrace") },
	"nogetfd":  func([]string) int { return denyThenRecord("pidfd_getfd") },
	"crash": func([]string) int {
		syscall.Getppid()
		syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		select {}
	},
	"args": func(args []string) int {
		// socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC); with args[0] == "inet"
		// also socket(AF_INET, ...), which a profile recorded without it
		// must deny.
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		fmt.Printf("unix %d %v\n", fd, err)
		if len(args) > 0 && args[0] == "inet" {
			fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
			fmt.Printf("inet %d %v\n", fd, err)
		}
		return 0
	},
}

// enforce compiles the profile args[0] for this machine, installs it on
// this thread and executes args[1:] as the workload SYSCAGE_RECORD_NEXT
// names: a launcher like runc's, in a child of the test.
// args[1] is looked up in PATH.
func enforce(args []string) int {
	data, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	p, err := oci.Parse(args[0], data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	native, _ := arch.Native()
	f, err := seccomp.Compile(p, native, seccomp.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	os.Setenv(testenv.ProgramEnv, os.Getenv("SYSCAGE_RECORD_NEXT"))
	env := os.Environ()
	path, err := exec.LookPath(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 127
	}
	// Between the install and execve this thread must make no other
	// system call (the profile may not allow the runtime's futex or a
	// signal handler's rt_sigreturn): execve's arguments are made first,
	// the collector is off, the process runs without preemption signals
	// (workloadEnviron sets GODEBUG=asyncpreemptoff=1 for it), and the
	// install and execve are the last calls, as in launch's stage.
	runtime.LockOSThread()
	cpath, err := syscall.BytePtrFromString(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	argv, err := syscall.SlicePtrFromStrings(args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	debug.SetGCPercent(-1)
	runtime.Gosched()
	if _, err := seccomp.Install(f, seccomp.InstallOptions{NoTSync: true, CallingThread: true}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(cpath)), uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	runtime.KeepAlive(cpath)
	runtime.KeepAlive(argv)
	runtime.KeepAlive(envv)
	fmt.Fprintln(os.Stderr, errno)
	return 126
}

// reads makes n one-byte reads of /dev/zero.
func reads(n int) int {
	fd, err := syscall.Open("/dev/zero", syscall.O_RDONLY, 0)
	if err != nil {
		return 1
	}
	var b [1]byte
	for i := 0; i < n; i++ {
		if _, err := syscall.Read(fd, b[:]); err != nil {
			return 1
		}
	}
	return 0
}

// self is the test binary, which runs workloads when re-executed.
func self(t testing.TB) string {
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// helperOpts records with the default helper (the test binary
// re-executed), the child's errors on the test's standard error.
func helperOpts(t testing.TB) Options {
	return Options{Stderr: os.Stderr}
}

func workloadEnviron(name string) []string {
	env := append(os.Environ(), testenv.Env(name))
	if name == "enforce" {
		env = append(env, "GODEBUG=asyncpreemptoff=1") // see enforce
	}
	return env
}

// buildC compiles testdata/src with gcc and flags into the test's
// temporary directory.
func buildC(t *testing.T, src string, flags ...string) string {
	t.Helper()
	gcc := testenv.Tool(t, "gcc", "gcc")
	out := filepath.Join(t.TempDir(), src[:len(src)-2])
	args := append([]string{"-O1", "-o", out, filepath.Join("testdata", src)}, flags...)
	if b, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		if len(flags) > 0 && flags[0] == "-m32" {
			testenv.Missing(t, "gcc -m32 -static: %v\n%s (Debian packages gcc-multilib, libc6-dev-i386)", err, b)
		}
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	return out
}

// workloadArgv returns the command line of the completeness workload wl:
// with its i386 child, built from compat32.c, when the kernel runs i386
// programs, and without it when the kernel refuses them.
func workloadArgv(t *testing.T, wl string) []string {
	t.Helper()
	if !testenv.RunsI386(t) {
		return []string{wl}
	}
	return []string{wl, buildC(t, "compat32.c", "-m32", "-static")}
}

// readLine reads the first line a program writes to r.
func readLine(r *os.File) (string, error) {
	s, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return "", err
	}
	return s[:len(s)-1], nil
}

// denyThenRecord installs a filter that refuses the system call name
// with EPERM and then tries to record /bin/true, printing the error.
func denyThenRecord(name string) int {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActAllow},
		Rules:   []profile.Rule{{Names: []string{name}, Action: profile.Action{Kind: profile.ActErrno, Data: 1}}},
	}
	native, _ := arch.Native()
	f, err := seccomp.Compile(p, native, seccomp.Options{})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if _, err := seccomp.Install(f, seccomp.InstallOptions{}); err != nil {
		fmt.Println(err)
		return 1
	}
	_, err = Run(context.Background(), []string{"true"}, Options{})
	fmt.Println(err)
	return 0
}
