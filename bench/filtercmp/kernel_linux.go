//go:build libseccomp && cgo && linux

package main

// The benchmark child: it installs one filter on itself and times system
// calls in the real kernel. The raw prctl and seccomp calls live here.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
)

const (
	childEnv = "SYSCAGE_FILTERCMP_CHILD" // set in the re-executed child
	nEnv     = "SYSCAGE_FILTERCMP_N"

	prSetNoNewPrivs        = 38  // PR_SET_NO_NEW_PRIVS
	sysSeccomp             = 317 // __NR_seccomp on x86_64
	seccompSetModeFilter   = 1   // SECCOMP_SET_MODE_FILTER
	seccompFilterFlagTSYNC = 1   // SECCOMP_FILTER_FLAG_TSYNC
)

// probe is one system call the child times.
type probe struct {
	Name string
	Nr   uintptr
	Args [3]uintptr
}

// probes are the calls timed in the kernel: one the Docker default profile
// allows unconditionally (served by the action cache), one it allows by
// an argument check (personality(0xffffffff) only queries the
// personality), and one it denies (syslog(SYSLOG_ACTION_SIZE_BUFFER) needs
// CAP_SYSLOG; unfiltered it only returns the size of the kernel's log
// buffer, so the baseline is harmless).
var probes = []probe{
	{Name: "getppid", Nr: syscall.SYS_GETPPID},
	{Name: "personality(0xffffffff)", Nr: syscall.SYS_PERSONALITY, Args: [3]uintptr{0xffffffff}},
	{Name: "syslog(10) denied", Nr: syscall.SYS_SYSLOG, Args: [3]uintptr{10}},
}

type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

type sockFprog struct {
	len    uint16
	filter *sockFilter
}

// install loads prog as a seccomp filter on every thread of the process.
// no_new_privs is per thread, so the thread is locked first; TSYNC then
// gives the filter to the Go runtime's other threads too.
func install(prog bpf.Program) error {
	runtime.LockOSThread()
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0); e != 0 {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", e)
	}
	f := make([]sockFilter, len(prog))
	for i, ins := range prog {
		f[i] = sockFilter{ins.Op, ins.Jt, ins.Jf, ins.K}
	}
	fp := sockFprog{len: uint16(len(f)), filter: &f[0]}
	if _, _, e := syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, seccompFilterFlagTSYNC, uintptr(unsafe.Pointer(&fp))); e != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", e)
	}
	runtime.KeepAlive(f)
	return nil
}

// child is the re-executed process: it reads a filter (empty: none) on
// stdin, installs it, times each probe and prints the median ns per call
// of several rounds as JSON.
func child() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	n, _ := strconv.Atoi(os.Getenv(nEnv))
	if n <= 0 {
		n = 100000
	}
	if len(raw) > 0 {
		prog, err := bpf.Decode(raw, arch.X86_64.ByteOrder())
		if err != nil {
			fail(err)
		}
		if err := install(prog); err != nil {
			fail(err)
		}
	} else {
		runtime.LockOSThread()
	}
	const rounds = 7
	res := map[string]float64{}
	for _, p := range probes {
		var ns []float64
		for r := 0; r < rounds; r++ {
			start := time.Now()
			for i := 0; i < n; i++ {
				syscall.RawSyscall(p.Nr, p.Args[0], p.Args[1], p.Args[2])
			}
			ns = append(ns, float64(time.Since(start).Nanoseconds())/float64(n))
		}
		sort.Float64s(ns)
		res[p.Name] = ns[rounds/2]
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fail(err)
	}
	os.Exit(0)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "filtercmp child:", err)
	os.Exit(1)
}

// timeInKernel runs a child with prog installed (nil: no filter) and
// returns its ns per call of each probe.
func timeInKernel(prog bpf.Program, n int) (map[string]float64, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", nEnv+"="+strconv.Itoa(n))
	var in []byte
	if prog != nil {
		in = prog.Encode(arch.X86_64.ByteOrder())
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	go func() {
		stdin.Write(in)
		stdin.Close()
	}()
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("child: %v: %s", err, ee.Stderr)
		}
		return nil, err
	}
	res := map[string]float64{}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("child output %q: %v", out, err)
	}
	return res, nil
}
