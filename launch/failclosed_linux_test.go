package launch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

func init() {
	testenv.Program("faked", targetFaked)
	testenv.Program("inherited", targetInherited)
}

// outerArg names the system calls the faked target's outer filter
// answers with 0.
const outerArg = "SYSCAGE_LAUNCH_TEST_OUTER"

// targetFaked installs a filter that answers the system calls named in
// outerArg with 0 without running them (ERRNO with errno 0, as a nested
// sandbox may), then launches sh under a profile that allows everything
// but uname, and prints what Run returned.
func targetFaked() {
	host, _ := arch.Native()
	names := strings.Split(os.Getenv(outerArg), ",")
	p := bpf.Program{{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: bpf.OffsetNr}}
	for i, n := range names {
		nr, _ := host.SyscallNumber(n)
		p = append(p, bpf.Instruction{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: nr, Jt: uint8(len(names) - i)})
	}
	p = append(p,
		bpf.Instruction{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_ALLOW},
		bpf.Instruction{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_ERRNO})
	if _, err := seccomp.InstallProgram(p, seccomp.InstallOptions{SkipNoNewPrivs: true}); err != nil {
		fmt.Printf("outer: %v\n", err)
		os.Exit(1)
	}
	cmd := launch.Command(denyUnameProfile(), "sh", "-c", "echo ran")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var se *launch.StartError
	r := map[string]any{"err": fmt.Sprint(err), "out": out.String(), "filter": errors.Is(err, launch.ErrFilter), "start": errors.As(err, &se)}
	if se != nil {
		r["code"] = se.ExitCode()
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// A filter this process runs under that answers seccomp(2) (or prctl(2))
// with 0 must not let the program run unfiltered: Start fails with
// ErrFilter (125), and the program never runs.
func TestFakedInstall(t *testing.T) {
	if !testenv.HasCapability(testenv.CapSysAdmin) {
		t.Skip("needs CAP_SYS_ADMIN: the outer filter is installed without no_new_privs")
	}
	for _, calls := range []string{"seccomp", "prctl", "seccomp,prctl"} {
		t.Run(calls, func(t *testing.T) {
			c := testenv.Command("faked")
			c.Env = append(c.Env, outerArg+"="+calls)
			out, err := c.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			var r struct {
				Err, Out      string
				Filter, Start bool
				Code          int
			}
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if !r.Start || !r.Filter || r.Code != 125 || !strings.Contains(r.Err, seccomp.ErrFaked.Error()) {
				t.Errorf("Run under a filter that fakes %s: %q (filter %v, code %d); want ErrFilter, 125, %q", calls, r.Err, r.Filter, r.Code, seccomp.ErrFaked)
			}
			if r.Out != "" {
				t.Errorf("the program ran: %q", r.Out)
			}
		})
	}
}

// denyUnameProfile allows everything but uname (EPERM).
func denyUnameProfile() *profile.Profile {
	p, err := oci.Parse("test.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO"}]}`))
	if err != nil {
		panic(err)
	}
	return p
}

// The profile's flags are applied (the kernel records LOG in the filter's
// metadata) or refused; never ignored.
func TestProfileFlags(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}`)
	cmd := launch.Command(p, "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	flags, err := unix.FilterFlags(cmd.Process.Pid, 0)
	if err != nil {
		t.Skipf("cannot read the filter's metadata (needs CAP_SYS_ADMIN and CONFIG_CHECKPOINT_RESTORE): %v", err)
	}
	if seccomp.Flags(flags)&seccomp.SECCOMP_FILTER_FLAG_LOG == 0 {
		t.Errorf("the program's filter has flags %s, want SECCOMP_FILTER_FLAG_LOG from the profile", seccomp.Flags(flags))
	}

	for _, c := range []struct{ extra, msg string }{
		{`"listenerPath": "/run/agent.sock"`, "listenerPath"},
		{`"listenerMetadata": "x"`, "listenerPath"},
		{`"flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]`, "WAIT_KILLABLE_RECV needs a notification listener"},
		{`"flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]`, "NEW_LISTENER needs a notification listener"},
		{`"flags": ["SECCOMP_FILTER_FLAG_TSYNC_ESRCH"]`, "TSYNC_ESRCH is not one the launcher can apply"},
	} {
		t.Run(c.msg, func(t *testing.T) {
			p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", `+c.extra+`}`)
			startFails(t, launch.Command(p, "echo", "ran"), launch.ErrFilter, c.msg)
		})
	}
}

// targetInherited opens descriptors of its own (a pipe, which starts the
// runtime's poller), then prints which of its open descriptors Inherited
// accepts.
func targetInherited() {
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	ents, _ := os.ReadDir("/proc/self/fd")
	out := map[string]string{}
	for _, e := range ents {
		var fd int
		fmt.Sscan(e.Name(), &fd)
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own descriptor
		}
		if _, err := launch.Inherited(fd); err == nil {
			out[e.Name()] = "inherited " + link
		} else {
			out[e.Name()] = "refused " + link
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

// Inherited accepts exactly the descriptors the process was started with.
func TestInherited(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c := testenv.Command("inherited")
	c.ExtraFiles = []*os.File{nil, r} // 4; 3 stays closed
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var fds map[string]string
	if err := json.Unmarshal(out, &fds); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	own := 0
	for fd, what := range fds {
		want := "refused"
		var n int
		fmt.Sscan(fd, &n)
		switch _, err := launch.Inherited(n); {
		case fd == "0", fd == "1", fd == "2", fd == "4":
			want = "inherited"
		case err == nil && n != 3:
			// This process inherited it without close-on-exec, and so
			// did the target.
			want = "inherited"
		default:
			own++
		}
		if !strings.HasPrefix(what, want) {
			t.Errorf("descriptor %s: %s, want %s", fd, what, want)
		}
	}
	if own < 4 { // the pipe, the poller's epoll and eventfd at least
		t.Errorf("only %d descriptors of the target's own: %v", own, fds)
	}
}

// The filter is asked about the stage's execve with its real arguments:
// a profile that denies execve only for some arguments is refused (125)
// when it denies the stage's, instead of the program's "not found" (127)
// or "killed by seccomp" (159); and one that denies only other execve
// calls runs.
func TestExecveArguments(t *testing.T) {
	for _, c := range []struct {
		name, rule string
	}{
		{"errno ENOENT", `"action": "SCMP_ACT_ERRNO", "errnoRet": 2, "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]`},
		{"kill", `"action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 1, "value": 4096, "op": "SCMP_CMP_GT"}]`},
		{"trap", `"action": "SCMP_ACT_TRAP", "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_NE"}]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execve"], `+c.rule+`}]}`)
			cmd := launch.Command(p, "echo", "ran")
			startFails(t, cmd, launch.ErrFilter, "the profile denies the execve that starts echo: execve (59 on x86_64) got")
		})
	}
	// Denied only for a NULL path, which the stage never passes.
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`)
	cmd := launch.Command(p, "echo", "ran")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil || out.String() != "ran\n" {
		t.Errorf("execve denied only for a NULL path: %v, output %q; want it to run", err, out.String())
	}
}

// forgeSigsys sends itself the siginfo of a seccomp TRAP of uname with
// rt_sigqueueinfo(2), which any process may do to itself: at once, or
// blocked first and delivered when rt_sigprocmask unblocks it, claiming
// rt_sigprocmask was trapped.
const forgeSigsys = `
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
	siginfo_t si;
	sigset_t set;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGSYS;
	si.si_code = 1; /* SYS_SECCOMP */
	si.si_call_addr = (void *)0x401000;
	si.si_syscall = SYS_uname;
	si.si_arch = 0xc000003e; /* AUDIT_ARCH_X86_64 */
	if (argc > 1) {
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		sigprocmask(SIG_BLOCK, &set, 0);
		si.si_syscall = SYS_rt_sigprocmask;
	}
	syscall(SYS_rt_sigqueueinfo, getpid(), SIGSYS, &si);
	if (argc > 1)
		sigprocmask(SIG_UNBLOCK, &set, 0);
	return 0;
}
`

// A SIGSYS the program forged is not reported as a seccomp trap; a real
// one still is.
func TestForgedSigsys(t *testing.T) {
	if _, ok := arch.Native(); !ok || runtime.GOARCH != "amd64" {
		t.Skip("the forged siginfo is x86_64's")
	}
	gcc := testenv.Tool(t, "gcc", "gcc")
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "f.c"), filepath.Join(dir, "f")
	os.WriteFile(src, []byte(forgeSigsys), 0o644)
	if out, err := exec.Command(gcc, "-O2", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	// uname traps, and the launcher follows the program.
	p := proftest.Parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_TRAP"}]}`)
	for _, args := range [][]string{nil, {"blocked"}} {
		cmd := launch.Command(p, bin, args...)
		cmd.Run()
		st := cmd.Status
		if st.ExitCode() != 159 {
			t.Fatalf("%v: status %s, want 159 from the forged SIGSYS", args, st)
		}
		if st.Seccomp || st.Violation != nil {
			t.Errorf("%v: a SIGSYS the program sent itself is reported as seccomp's: %s", args, st)
		}
	}
	// The real trap, from the same program's uname(1) neighbour.
	cmd := launch.Command(p, "uname")
	cmd.Run()
	if st := cmd.Status; !st.Seccomp || st.Violation == nil || st.Violation.Name != "uname" {
		t.Errorf("a real trap: %s, want it reported", st)
	}
}
