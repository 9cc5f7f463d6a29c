package launch_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
)

func init() {
	testenv.Program("sigparent", targetSigParent)
	testenv.Program("siglaunch", targetSigLaunch)
}

// The signals the launcher's caller ignores and blocks in
// TestSignalsReset.
var (
	callerIgnores = []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE, syscall.SIGXFSZ, syscall.SIGUSR2, syscall.SIGTSTP, syscall.SIGTTOU}
	callerBlocks  = []syscall.Signal{syscall.SIGUSR1, syscall.SIGXFSZ, syscall.SIGPIPE, syscall.SIGTERM, syscall.SIGCHLD}
)

func sigBits(sigs []syscall.Signal) uint64 {
	var m uint64
	for _, s := range sigs {
		m |= 1 << (s - 1)
	}
	return m
}

// targetSigParent plays the caller of a launcher that ignores and blocks
// signals (a shell's trap "" XFSZ, nohup, a supervisor that blocks
// signals in its children): it sets callerIgnores to SIG_IGN and blocks
// callerBlocks with raw system calls, then executes the test binary as
// siglaunch, which inherits both.
func targetSigParent() {
	runtime.LockOSThread() // the mask is the thread's: block and execve on one
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" && runtime.GOARCH != "riscv64" && runtime.GOARCH != "386" && runtime.GOARCH != "arm" {
		fmt.Println("skip: struct sigaction of", runtime.GOARCH)
		os.Exit(0)
	}
	var act [4]uint64
	act[0] = 1 // sa_handler SIG_IGN, first on these ABIs
	for _, sig := range callerIgnores {
		if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); e != 0 {
			fmt.Fprintln(os.Stderr, "rt_sigaction:", e)
			os.Exit(1)
		}
	}
	set := sigBits(callerBlocks)
	const sigBlock = 0
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigBlock, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0); e != 0 {
		fmt.Fprintln(os.Stderr, "rt_sigprocmask:", e)
		os.Exit(1)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, testenv.ProgramEnv+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, testenv.Env("siglaunch"))
	err := syscall.Exec(os.Args[0], os.Args, env)
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(1)
}

// sigRun is one program siglaunch ran.
type sigRun struct {
	Out    string
	Exited bool
	Code   int
	Signal int
	Err    string
}

// sigReport is what siglaunch prints.
type sigReport struct {
	LauncherIgn, LauncherBlk string // the launcher's own, as inherited
	Status, Ignored          sigRun // grep Sig /proc/self/status, without and with IgnoreSignals
	Head, Shell              sigRun // writes past RLIMIT_FSIZE
}

// targetSigLaunch launches programs in the mode $SIGTEST_MODE (plain,
// sandbox, allow-open, exec-once) with the signals its caller left it:
// their view of their signals, and whether a write past the file-size
// limit kills them.
func targetSigLaunch() {
	mode, dir := os.Getenv("SIGTEST_MODE"), os.Getenv("SIGTEST_DIR")
	st, _ := os.ReadFile("/proc/self/status")
	r := sigReport{LauncherIgn: testenv.StatusField(string(st), "SigIgn"), LauncherBlk: testenv.StatusField(string(st), "SigBlk")}
	const limit = 1 << 20
	if mode != "sandbox" {
		// Inherited by the stage and the program; the launcher writes
		// nothing that large.
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	head, _ := exec.LookPath("head")
	run := func(stdout *os.File, ignore []syscall.Signal, name string, args ...string) sigRun {
		cmd := launch.Command(allowAll(), name, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		cmd.IgnoreSignals = ignore
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if stdout != nil {
			cmd.Stdout = stdout
		}
		switch mode {
		case "sandbox":
			cmd.Sandbox = &launch.Sandbox{RW: []string{dir}, Limits: launch.Limits{FSize: limit}}
		case "allow-open":
			cmd.AllowOpen = []launch.OpenRule{{Path: "/proc"}, {Path: "/dev/zero"}, {Path: "/usr/bin"}, {Path: "/bin"}, {Path: dir, Write: true}}
		case "exec-once":
			cmd.ExecOnce, cmd.ExecAllow = true, []string{head}
		}
		err := cmd.Run()
		var ee *launch.ExitError
		if err != nil && !errors.As(err, &ee) {
			return sigRun{Err: err.Error()}
		}
		return sigRun{Out: out.String(), Exited: cmd.Status.Exited, Code: cmd.Status.Code, Signal: int(cmd.Status.Signal)}
	}
	r.Status = run(nil, nil, "grep", "^Sig", "/proc/self/status")
	r.Ignored = run(nil, []syscall.Signal{syscall.SIGPIPE, syscall.SIGHUP}, "grep", "^Sig", "/proc/self/status")
	// In the sandbox too: the program is not pid 1 of its namespace,
	// which the kernel would spare the signal (it would get EFBIG).
	f, err := os.Create(filepath.Join(dir, "head.out"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r.Head = run(f, nil, head, "-c", "2M", "/dev/zero")
	f.Close()
	r.Shell = run(nil, nil, "sh", "-c", `ulimit -f 2048; head -c 2M /dev/zero > "$0"`, filepath.Join(dir, "shell.out"))
	json.NewEncoder(os.Stdout).Encode(r)
}

// TestSignalsReset launches programs from a launcher whose caller
// ignored and blocked signals (SIGXFSZ, SIGPIPE, SIGHUP, ...), in every
// mode of the launch: each program starts with every signal's default
// disposition and an empty mask (its /proc/self/status shows none
// ignored or blocked), but those Cmd.IgnoreSignals names; a write past
// the file-size limit kills it with SIGXFSZ rather than failing with
// EFBIG, written directly or from a shell.
func TestSignalsReset(t *testing.T) {
	for _, mode := range []string{"plain", "sandbox", "allow-open", "exec-once"} {
		t.Run(mode, func(t *testing.T) {
			if mode == "sandbox" && os.Getuid() != 0 {
				t.Skip("needs root: the sandbox maps the host's nobody")
			}
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o777); err != nil { // the sandbox's nobody writes there
				t.Fatal(err)
			}
			cmd := testenv.Command("sigparent")
			cmd.Env = append(cmd.Env, "SIGTEST_MODE="+mode, "SIGTEST_DIR="+dir)
			var errb strings.Builder
			cmd.Stderr = &errb
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v\n%s%s", err, out, errb.String())
			}
			if strings.HasPrefix(string(out), "skip:") {
				t.Skip(string(out))
			}
			var r sigReport
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("%v: %s\n%s", err, out, errb.String())
			}
			// The test's premise: the launcher inherited a mask, and
			// some ignored signals (the Go runtime keeps SIGHUP, SIGINT
			// and the job-control ones ignored).
			if blk, _ := strconv.ParseUint(r.LauncherBlk, 16, 64); blk&sigBits(callerBlocks) == 0 {
				t.Fatalf("the launcher's SigBlk is %s: the caller's mask did not reach it", r.LauncherBlk)
			}
			if ign, _ := strconv.ParseUint(r.LauncherIgn, 16, 64); ign&(1<<(syscall.SIGHUP-1)) == 0 {
				t.Fatalf("the launcher's SigIgn is %s: the caller's SIGHUP did not reach it", r.LauncherIgn)
			}
			for _, c := range []struct {
				name string
				run  sigRun
				ign  uint64
			}{{"status", r.Status, 0}, {"IgnoreSignals", r.Ignored, 1<<(syscall.SIGPIPE-1) | 1<<(syscall.SIGHUP-1)}} {
				if c.run.Err != "" || !c.run.Exited || c.run.Code != 0 {
					t.Errorf("%s: %+v", c.name, c.run)
					continue
				}
				for _, k := range []string{"SigBlk", "SigIgn"} {
					v, err := strconv.ParseUint(testenv.StatusField(c.run.Out, k), 16, 64)
					want := uint64(0)
					if k == "SigIgn" {
						want = c.ign
					}
					if err != nil || v != want {
						t.Errorf("%s: the program's %s is %q, want %016x\n%s", c.name, k, testenv.StatusField(c.run.Out, k), want, c.run.Out)
					}
				}
			}
			if r.Head.Exited || syscall.Signal(r.Head.Signal) != syscall.SIGXFSZ {
				t.Errorf("head writing past the file-size limit: %+v, want killed by SIGXFSZ", r.Head)
			}
			// The shell reports its child's death as 128+SIGXFSZ.
			if !r.Shell.Exited || r.Shell.Code != 128+int(syscall.SIGXFSZ) {
				t.Errorf("sh -c 'ulimit -f; head > f': %+v, want head killed by SIGXFSZ (the shell's status %d)", r.Shell, 128+int(syscall.SIGXFSZ))
			}
		})
	}
}
