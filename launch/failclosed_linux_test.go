package launch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

func init() {
	targets["faked"] = targetFaked
	targets["inherited"] = targetInherited
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
	if !hasCapSysAdmin() {
		t.Skip("needs CAP_SYS_ADMIN: the outer filter is installed without no_new_privs")
	}
	for _, calls := range []string{"seccomp", "prctl", "seccomp,prctl"} {
		t.Run(calls, func(t *testing.T) {
			c := exec.Command(os.Args[0])
			c.Env = append(os.Environ(), targetEnv+"=faked", outerArg+"="+calls)
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

func hasCapSysAdmin() bool {
	b, _ := os.ReadFile("/proc/self/status")
	var caps uint64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%x", &caps)
		}
	}
	return caps&(1<<21) != 0
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
	p := parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}`)
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
			p := parse(t, `{"defaultAction": "SCMP_ACT_ALLOW", `+c.extra+`}`)
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
	c := exec.Command(os.Args[0])
	c.Env = append(os.Environ(), targetEnv+"=inherited")
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
