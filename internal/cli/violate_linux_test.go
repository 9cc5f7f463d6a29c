package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/seccomp"
)

// Filters are never installed in the test process. The scripts' violate
// command runs seccomp-violator, a re-executed copy of the test binary,
// which compiles a profile, installs it as syscage does (no_new_privs,
// TSYNC) with SECCOMP_FILTER_FLAG_LOG so that denials are logged too, and
// makes system calls with zero arguments.
func init() {
	testenv.ProgramOnPath("seccomp-violator", violatorMain)
	scriptCmds["violate"] = cmdViolate
	scriptCmds["findpid"] = cmdFindPID
	scriptConds["root"] = func() bool { return os.Geteuid() == 0 }
	// kmsg: the kernel log can be read (root or CAP_SYSLOG).
	scriptConds["kmsg"] = func() bool {
		f, err := os.Open("/dev/kmsg")
		if err == nil {
			f.Close()
		}
		return err == nil
	}
}

// violatorMain: seccomp-violator [-wait|-hold] [-thread] [-evilcomm] PROFILE SYSCALL...
// -wait waits for stdin to close after the calls, -hold reads a line
// before it installs the filter; -thread then gives one thread a second
// filter of its own (no TSYNC) that denies uname with EPERM; -evilcomm
// names the thread that makes the calls "\x1b]0;pwn\x07" (PR_SET_NAME), a
// terminal escape sequence that sets the window title.
func violatorMain() {
	args := os.Args[1:]
	var wait, hold, thread bool
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-wait":
			wait = true
		case "-hold":
			hold = true
		case "-thread":
			thread = true
		case "-evilcomm":
			// The name is the thread's: the calls below stay on it.
			runtime.LockOSThread()
			name := []byte("\x1b]0;pwn\x07\x00")
			if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0); e != 0 {
				fmt.Fprintln(os.Stderr, "prctl(PR_SET_NAME):", e)
				os.Exit(125)
			}
		}
		args = args[1:]
	}
	if hold {
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: seccomp-violator [-wait|-hold] [-thread] PROFILE SYSCALL...")
		os.Exit(2)
	}
	host, _ := arch.Native()
	f, err := compileProfile(nil, args[0], "", profileFlags{}, seccomp.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(125)
	}
	if _, err := seccomp.Install(f, seccomp.InstallOptions{Flags: seccomp.SECCOMP_FILTER_FLAG_LOG}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(125)
	}
	if thread {
		installed := make(chan error)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread keeps its own filter
			un, _ := host.SyscallNumber("uname")
			p := bpf.Program{
				{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: seccomp.OffsetNr},
				{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: un, Jf: 1},
				{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_ERRNO | 1},
				{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_ALLOW},
			}
			_, err := seccomp.InstallProgram(p, seccomp.InstallOptions{NoTSync: true})
			installed <- err
			select {}
		}()
		if err := <-installed; err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(125)
		}
		fmt.Printf("thread filtered\n")
	}
	for _, name := range args[1:] {
		nr, ok := host.SyscallNumber(name)
		if n, err := strconv.ParseUint(name, 0, 32); !ok && err == nil {
			nr, ok = uint32(n), true // a raw number, such as an x32 one
		}
		if !ok {
			fmt.Fprintf(os.Stderr, "no system call %s on %s\n", name, host)
			os.Exit(2)
		}
		_, _, e := syscall.RawSyscall(uintptr(nr), 0, 0, 0)
		fmt.Printf("%s: %d\n", name, int(e))
	}
	if wait {
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
	}
	os.Exit(0)
}

var (
	bgMu sync.Mutex
	bg   = map[*testscript.TestScript]*bgViolator{}
)

type bgViolator struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *strings.Builder
	done   chan struct{} // closed when stdout is read to the end
	out    string
}

// reportExit writes the violator's output and "exit: 0" or "exit:
// SIGNAL" to the script's stdout.
func reportExit(ts *testscript.TestScript, err error, stderr string) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		fmt.Fprintln(ts.Stdout(), "exit: 0")
	case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
		fmt.Fprintln(ts.Stdout(), "exit:", ee.Sys().(syscall.WaitStatus).Signal())
	default:
		ts.Fatalf("seccomp-violator: %v\n%s", err, stderr)
	}
}

// takeBg takes the script's background violator out of bg, ending the
// script with none when there is none.
func takeBg(ts *testscript.TestScript, none string) *bgViolator {
	bgMu.Lock()
	v := bg[ts]
	delete(bg, ts)
	bgMu.Unlock()
	if v == nil {
		ts.Fatalf("%s", none)
	}
	return v
}

// cmdViolate runs seccomp-violator:
//
//	violate [-logged N] PROFILE SYSCALL...
//	                                run it; its output goes to stdout;
//	                                with -logged, run it again (up to
//	                                three times) until the kernel log has
//	                                N records of it;
//	                                $VIOLATOR_PID is its pid, and a
//	                                last line "exit: 0" or "exit: SIGNAL"
//	violate -bg PROFILE SYSCALL...  start it; it waits after the calls
//	violate -stop                   end the one started with -bg
//	violate -start PROFILE SYSCALL... start it; it waits before it
//	                                installs the filter
//	violate -go                     let the one started with -start go
//	                                on and wait for it, as above
func cmdViolate(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("violate does not fail")
	}
	if len(args) == 1 && args[0] == "-go" {
		v := takeBg(ts, "no violator started")
		io.WriteString(v.stdin, "go\n")
		v.stdin.Close()
		<-v.done
		ts.Stdout().Write([]byte(v.out))
		reportExit(ts, v.cmd.Wait(), v.stderr.String())
		return
	}
	if len(args) == 1 && args[0] == "-stop" {
		v := takeBg(ts, "no violator running")
		v.stdin.Close()
		ts.Check(v.cmd.Wait())
		return
	}
	logged := -1
	if len(args) > 1 && args[0] == "-logged" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		logged, args = n, args[2:]
	}
	background := len(args) > 0 && (args[0] == "-bg" || args[0] == "-start")
	if background {
		mode := map[string]string{"-bg": "-wait", "-start": "-hold"}[args[0]]
		args = append([]string{mode}, args[1:]...)
	}
	// -thread goes through to the violator.
	bin := lookPath(ts, "seccomp-violator")
	cmd := exec.Command(bin, args...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"))
	stderr := new(strings.Builder)
	cmd.Stderr = stderr
	if !background {
		for attempt := 1; ; attempt++ {
			cmd := exec.Command(bin, args...)
			cmd.Dir, cmd.Env = ts.Getenv("WORK"), append(os.Environ(), "PATH="+ts.Getenv("PATH"))
			stderr.Reset()
			cmd.Stderr = stderr
			start := time.Now()
			out, err := cmd.Output()
			pid := cmd.Process.Pid
			if logged >= 0 && attempt < 10 && kmsgEarlier(pid, start.Add(-time.Second)) {
				// The kernel log holds records of an earlier process
				// with this pid (ids are reused), which the script's
				// why --pid would count too: run one with another pid.
				ts.Logf("attempt %d: the kernel log has records of an earlier process %d; trying again", attempt, pid)
				continue
			}
			if logged >= 0 && attempt < 3 && kmsgRecords(pid, logged) < logged {
				// The kernel log is rate-limited (printk_ratelimit,
				// shared with every test that kills or logs): try
				// again once its interval has passed.
				ts.Logf("attempt %d: the kernel log has fewer than %d records of pid %d; trying again", attempt, logged, pid)
				time.Sleep(6 * time.Second)
				continue
			}
			ts.Stdout().Write(out)
			ts.Setenv("VIOLATOR_PID", strconv.Itoa(pid))
			reportExit(ts, err, stderr.String())
			return
		}
	}
	stdin, err := cmd.StdinPipe()
	ts.Check(err)
	stdout, err := cmd.StdoutPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		fmt.Fprintln(ts.Stdout(), sc.Text())
		if sc.Text() == "ready" {
			ready = true
			break
		}
	}
	if !ready {
		cmd.Wait()
		ts.Fatalf("seccomp-violator did not get ready\n%s", stderr.String())
	}
	v := &bgViolator{cmd: cmd, stdin: stdin, stderr: stderr, done: make(chan struct{})}
	go func() {
		// The output after "ready" goes to the script's stdout of -go.
		var out strings.Builder
		io.Copy(&out, stdout)
		v.out = out.String()
		close(v.done)
	}()
	ts.Setenv("VIOLATOR_PID", strconv.Itoa(cmd.Process.Pid))
	bgMu.Lock()
	bg[ts] = v
	bgMu.Unlock()
	ts.Defer(func() {
		bgMu.Lock()
		c := bg[ts]
		delete(bg, ts)
		bgMu.Unlock()
		if c != nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
}

// kmsgRecords waits up to two seconds for want records of pid in the
// kernel log and returns how many there are.
// kmsgEarlier reports whether the kernel log has a record of pid from
// before t.
func kmsgEarlier(pid int, t time.Time) bool {
	ev, _, _ := audit.ReadKmsg("")
	for _, e := range ev {
		if e.PID == pid && !e.Time.IsZero() && e.Time.Before(t) {
			return true
		}
	}
	return false
}

func kmsgRecords(pid, want int) int {
	n := 0
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ev, _, _ := audit.ReadKmsg("")
		n = 0
		for _, e := range ev {
			if e.PID == pid {
				n++
			}
		}
		if n >= want || time.Now().After(deadline) {
			return n
		}
	}
}

func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	ts.Fatalf("%s not found in $PATH", name)
	return ""
}

// ours reports whether process pid was started by this test binary: it
// descends from it, or from no other test binary (a process that a
// detached runc container runs has been reparented). Scripts of other
// test binaries on the machine (another checkout's) run the same command
// lines, and a process of theirs is not this script's to signal.
func ours(pid string) bool {
	self := strconv.Itoa(os.Getpid())
	for i := 0; i < 100 && pid != "0" && pid != "1"; i++ {
		if pid == self {
			return true
		}
		if comm, _ := os.ReadFile(filepath.Join("/proc", pid, "comm")); strings.HasSuffix(strings.TrimSpace(string(comm)), ".test") {
			return false
		}
		b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
		j := bytes.LastIndexByte(b, ')')
		if err != nil || j < 0 {
			return false
		}
		f := strings.Fields(string(b[j+1:]))
		if len(f) < 2 {
			return false
		}
		pid = f[1]
	}
	return true
}

// cmdFindPID: findpid [-in CALL[,CALL...]] VAR ARG... waits up to ten
// seconds for a process whose command line is ARG... and sets $VAR to its
// pid. With -in it also waits until the process is blocked in one of the
// named system calls (the first field of /proc/PID/syscall): a process whose
// command line is already right may still be in its dynamic loader, and a
// test that signals it there races with what it is meant to observe.
func cmdFindPID(ts *testscript.TestScript, neg bool, args []string) {
	var in map[uint64]bool
	inNames := ""
	if len(args) > 2 && args[0] == "-in" {
		native, ok := arch.Native()
		if !ok {
			ts.Fatalf("findpid -in: no system call table for %s", runtime.GOARCH)
		}
		in = map[uint64]bool{}
		for _, name := range strings.Split(args[1], ",") {
			if nr, ok := native.SyscallNumber(name); ok {
				in[uint64(nr)] = true
			}
		}
		if len(in) == 0 {
			ts.Fatalf("findpid -in %s: no such system call on %s", args[1], native)
		}
		inNames, args = args[1], args[2:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: findpid [-in CALL[,CALL...]] VAR ARG...")
	}
	want := strings.Join(args[1:], "\x00") + "\x00"
	found := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		dirs, _ := os.ReadDir("/proc")
		for _, d := range dirs {
			if _, err := strconv.Atoi(d.Name()); err != nil {
				continue
			}
			if b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline")); err != nil || string(b) != want {
				continue
			}
			if !ours(d.Name()) {
				continue
			}
			found = d.Name()
			if in != nil && !inSyscall(d.Name(), in) {
				continue
			}
			ts.Setenv(args[0], d.Name())
			return
		}
	}
	if found != "" {
		ts.Fatalf("process %s runs %q but never blocked in %s", found, args[1:], inNames)
	}
	ts.Fatalf("no process runs %q", args[1:])
}

// inSyscall tells whether /proc/PID/syscall names one of the numbers in set.
func inSyscall(pid string, set map[uint64]bool) bool {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "syscall"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return false
	}
	nr, err := strconv.ParseUint(f[0], 10, 64)
	return err == nil && set[nr]
}
