package record

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

func native(t testing.TB) arch.Arch {
	a, ok := arch.Native()
	if !ok {
		t.Skip("unknown native architecture")
	}
	return a
}

// straceCounts runs argv under strace -f -c and returns the system calls
// it counted, per ABI.
func straceCounts(t *testing.T, argv ...string) map[arch.Arch][]string {
	strace := testenv.Tool(t, "strace", "strace")
	out := filepath.Join(t.TempDir(), "strace.txt")
	cmd := exec.Command(strace, append([]string{"-f", "-c", "-o", out}, argv...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[arch.Arch][]string{}
	abi := native(t)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "for 32 bit mode"):
			abi = arch.X86
			continue
		case strings.Contains(line, "for x32 mode"):
			abi = arch.X32
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 5 || fields[0] == "%" || strings.HasPrefix(fields[0], "-") {
			continue
		}
		if name := fields[len(fields)-1]; name != "total" {
			got[abi] = append(got[abi], name)
		}
	}
	return got
}

// TestRecordCompleteness records a C program with a thread, a vfork+exec
// child, a fork child that never executes anything and an i386 child
// (when the kernel runs i386 programs), and checks that the recording has
// every system call strace -f -c counts on the same workload, each under
// its ABI.
func TestRecordCompleteness(t *testing.T) {
	if native(t) != arch.X86_64 {
		t.Skip("the workload's i386 child needs an x86_64 machine")
	}
	wl := buildC(t, "workload.c", "-pthread")
	argv := workloadArgv(t, wl)
	counted := straceCounts(t, argv...)
	for _, stops := range []bool{false, true} {
		t.Run(fmt.Sprintf("stops=%v", stops), func(t *testing.T) {
			o := helperOpts(t)
			o.Stops = stops
			res, err := Run(context.Background(), argv, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Listener == stops {
				t.Errorf("Stops %v, but calls came through a listener: %v", stops, res.Listener)
			}
			checkCompleteness(t, res, counted, len(argv) > 1)
		})
	}
}

// checkCompleteness checks a recording of the workload, run with its
// i386 child when withI386.
func checkCompleteness(t *testing.T, res *Result, counted map[arch.Arch][]string, withI386 bool) {
	if res.ExitCode != 0 || res.Recording.Partial {
		t.Fatalf("workload: exit %d, signal %v, partial %v", res.ExitCode, res.Signal, res.Recording.Partial)
	}
	rec := res.Recording
	for _, c := range []struct {
		name string
		part string
	}{
		{"sysinfo", "a thread"},
		{"vfork", "the parent"},
		{"getrusage", "the program a vfork child executed"},
		{"times", "a fork child that never executes"},
		{"clone3", "pthread_create"},
	} {
		if !rec.Has(arch.X86_64, c.name) {
			t.Errorf("%s %s (%s) not recorded", arch.X86_64, c.name, c.part)
		}
	}
	for abi, names := range counted {
		for _, n := range names {
			if !rec.Has(abi, n) {
				t.Errorf("strace -f -c counted %s %s, the recording lacks it", abi, n)
			}
		}
	}
	p := rec.Profile(ProfileOptions{})
	want := []arch.Arch{arch.X86_64}
	if withI386 {
		want = append(want, arch.X86)
	}
	if !slices.Equal(p.Arches, want) {
		t.Errorf("profile architectures %v, want %v", p.Arches, want)
	}
	t.Run("i386", func(t *testing.T) {
		testenv.NeedI386(t)
		for _, c := range []struct {
			name string
			part string
		}{
			{"getpgrp", "the i386 child"},
			{"socket", "the i386 child's socketcall(SYS_SOCKET)"},
		} {
			if !rec.Has(arch.X86, c.name) {
				t.Errorf("%s %s (%s) not recorded", arch.X86, c.name, c.part)
			}
		}
		if rec.Has(arch.X86_64, "getpgrp") {
			t.Errorf("the i386 child's getpgrp recorded as x86_64")
		}
		if rec.Has(arch.X86, "socketcall") {
			t.Errorf("socketcall recorded as itself, not as its sub-call")
		}
	})
}

// TestRecordOnlyTarget checks that the helper's own system calls (a Go
// program: sigaltstack, sched_getaffinity at start) are not recorded, and
// that the execve that starts the target is.
func TestRecordOnlyTarget(t *testing.T) {
	res, err := Run(context.Background(), []string{"true"}, helperOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Recording
	a := native(t)
	for _, n := range []string{"sigaltstack", "sched_getaffinity", "seccomp"} {
		if rec.Has(a, n) {
			t.Errorf("%s recorded: it is the helper's, /bin/true does not make it", n)
		}
	}
	for _, n := range []string{"execve", "exit_group"} {
		if !rec.Has(a, n) {
			t.Errorf("%s not recorded", n)
		}
	}
}

// TestRecordServiceThenEnforce records a real service, python3 -m
// http.server, while a client drives it, then runs it under the recorded
// profile with KILL_PROCESS as the default: the same requests succeed, and
// a CGI script that runs /bin/sh -c id, which the service never ran while
// recorded, is denied.
func TestRecordServiceThenEnforce(t *testing.T) {
	python := "/usr/bin/python3" // not a pyenv shim, which would be recorded too
	if _, err := os.Stat(python); err != nil {
		python = testenv.Tool(t, "python3", "python3")
	}
	www := t.TempDir()
	must(t, os.WriteFile(filepath.Join(www, "index.html"), []byte("hello\n"), 0o644))
	must(t, os.Mkdir(filepath.Join(www, "cgi-bin"), 0o755))
	must(t, os.WriteFile(filepath.Join(www, "cgi-bin", "id.sh"), []byte("#!/bin/sh\necho Content-Type: text/plain\necho\n/bin/sh -c id\n"), 0o755))
	server := []string{python, "-u", "-m", "http.server", "--cgi", "--bind", "127.0.0.1", "0"}
	requests := []string{"/", "/index.html", "/missing", "/", "/index.html"}
	drive := func(port string) error {
		for _, r := range requests {
			resp, err := http.Get("http://127.0.0.1:" + port + r)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if want := 200; r == "/missing" && resp.StatusCode != 404 || r != "/missing" && resp.StatusCode != want {
				return errors.New(r + ": " + resp.Status)
			}
		}
		return nil
	}

	// Record, then stop the service with SIGINT as a user would.
	pr, pw, err := os.Pipe()
	must(t, err)
	o := helperOpts(t)
	o.Stdout, o.Stderr, o.Dir, o.Stop = pw, pw, www, syscall.SIGINT
	if signal.Ignored(syscall.SIGINT) {
		// Started in the background of a shell without job control:
		// the server inherits SIGINT ignored, and Python keeps it so.
		o.Stop = syscall.SIGTERM
	}
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Run(ctx, server, o)
		done <- result{res, err}
	}()
	port, err := servingPort(pr)
	if err != nil {
		cancel()
		t.Fatalf("recorded service: %v (%v)", err, <-done)
	}
	if err := drive(port); err != nil {
		cancel()
		<-done
		pw.Close()
		pr.SetReadDeadline(time.Now().Add(2 * time.Second))
		rest, _ := io.ReadAll(pr)
		t.Fatalf("recorded service: %v\n%s", err, rest)
	}
	cancel()
	r := <-done
	pw.Close()
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.res.Recording.Partial {
		t.Fatalf("recorded service: %s", r.res.Recording.Reason)
	}
	p := r.res.Recording.Profile(ProfileOptions{Default: profile.Action{Kind: profile.ActKillProcess}})
	data, err := oci.Format(p)
	must(t, err)
	pf := filepath.Join(t.TempDir(), "service.json")
	must(t, os.WriteFile(pf, data, 0o644))

	// Enforce: the launcher installs the profile and executes the service.
	cmd := exec.Command(self(t), append([]string{pf}, server...)...)
	cmd.Env = workloadEnviron("enforce")
	cmd.Dir = www
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = cmd.Stdout
	must(t, cmd.Start())
	defer cmd.Process.Kill()
	port, err = servingPort(out.(*os.File))
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("service under its recorded profile did not start: %v, %v", err, cmd.Wait())
	}
	if err := drive(port); err != nil {
		t.Fatalf("service under its recorded profile: %v", err)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + port + "/cgi-bin/id.sh")
	var body []byte
	if err == nil {
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if strings.Contains(string(body), "uid=") {
		t.Errorf("/bin/sh -c id ran under the recorded profile: %s", body)
	}
	cmd.Process.Signal(syscall.SIGINT)
	werr := cmd.Wait()
	t.Logf("CGI /bin/sh -c id under the profile: response %q, error %v; service ended: %v", body, err, werr)
	// The service's fork for the CGI script is the first thing it never
	// did: KILL_PROCESS ends it with SIGSYS.
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGSYS {
		t.Errorf("service ended with %v, want SIGSYS from KILL_PROCESS", werr)
	}
}

// servingPort reads http.server's "Serving HTTP on HOST port N" line.
func servingPort(r *os.File) (string, error) {
	r.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, err := readLine(r)
	if err != nil {
		return "", err
	}
	f := strings.Fields(line)
	for i := range f {
		if f[i] == "port" && i+1 < len(f) {
			return f[i+1], nil
		}
	}
	return "", errors.New("no port in " + line)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecordArgs records socket(AF_UNIX, ...) with --args and checks that
// the profile allows that family and type and nothing else.
func TestRecordArgs(t *testing.T) {
	o := helperOpts(t)
	o.Env = workloadEnviron("args")
	o.Args = true
	res, err := Run(context.Background(), []string{self(t)}, o)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Recording.Profile(ProfileOptions{})
	var socketRules []profile.Rule
	for _, r := range p.Rules {
		for _, n := range r.Names {
			if n == "socket" {
				socketRules = append(socketRules, r)
			}
		}
	}
	want := []profile.Cond{
		{Arg: 0, Op: profile.OpEQ, Value: syscall.AF_UNIX},
		{Arg: 1, Op: profile.OpEQ, Value: syscall.SOCK_STREAM | syscall.SOCK_CLOEXEC},
	}
	if len(socketRules) != 1 || len(socketRules[0].Names) != 1 || !slices.Equal(socketRules[0].Conds, want) {
		t.Fatalf("socket rules %+v, want one with %v", socketRules, want)
	}
	for _, r := range p.Rules {
		for _, c := range r.Conds {
			if c.Op != profile.OpEQ {
				t.Errorf("rule %v: condition %v is not EQ", r.Names, c)
			}
		}
	}
	data, err := oci.Format(p)
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(pf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self(t), pf, self(t), "inet")
	cmd.Env = append(workloadEnviron("enforce"), "SYSCAGE_RECORD_NEXT=args")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("under the recorded profile: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "unix 3 <nil>") && !strings.Contains(string(b), " <nil>\ninet") {
		t.Errorf("socket(AF_UNIX) failed under its own profile:\n%s", b)
	}
	if !strings.Contains(string(b), "inet -1 operation not permitted") {
		t.Errorf("socket(AF_INET) was not denied with EPERM:\n%s", b)
	}
}

// TestRecordCrash: a program that crashes still yields what it did,
// marked partial.
func TestRecordCrash(t *testing.T) {
	o := helperOpts(t)
	o.Env = append(workloadEnviron("crash"), "GOTRACEBACK=crash") // die by the signal
	o.Stderr = nil
	res, err := Run(context.Background(), []string{self(t)}, o)
	if err != nil {
		t.Fatal(err)
	}
	// The Go runtime turns the SIGSEGV into SIGABRT with GOTRACEBACK=crash.
	if res.Signal != syscall.SIGABRT || !res.Recording.Partial || !strings.Contains(res.Recording.Reason, "SIGABRT") {
		t.Fatalf("signal %v, partial %v (%q), want SIGABRT and partial", res.Signal, res.Recording.Partial, res.Recording.Reason)
	}
	if !res.Recording.Has(native(t), "getppid") {
		t.Errorf("getppid before the crash not recorded")
	}
}

func TestRecordNotFound(t *testing.T) {
	_, err := Run(context.Background(), []string{"/nonexistent/program"}, helperOpts(t))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	_, err = Run(context.Background(), []string{t.TempDir()}, helperOpts(t))
	if !errors.Is(err, ErrNoExec) {
		t.Errorf("directory: got %v, want ErrNoExec", err)
	}
	// Files that exist but that execve refuses, told by the helper.
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(script, []byte("#!/nonexistent/interp\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(garbage, []byte("garbage\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{script, "its #! interpreter /nonexistent/interp does not exist"},
		{garbage, "exec format error"},
	} {
		_, err = Run(context.Background(), []string{tc.path}, helperOpts(t))
		if !errors.Is(err, ErrNoExec) || !strings.Contains(fmt.Sprint(err), tc.want) {
			t.Errorf("%s: got %v, want ErrNoExec saying %q", tc.path, err, tc.want)
		}
	}
}

// TestRecordSignals: signals given in Options.Signals reach the program,
// and one that ends it of a signal that dumps core (QUIT) was sent, not a
// crash: the recording is complete.
func TestRecordSignals(t *testing.T) {
	o := helperOpts(t)
	sigs := make(chan os.Signal, 1)
	o.Signals = sigs
	ready := filepath.Join(t.TempDir(), "ready")
	go func() {
		for {
			if _, err := os.Stat(ready); err == nil {
				sigs <- syscall.SIGQUIT
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	res, err := Run(context.Background(), []string{"sh", "-c", "echo > " + ready + "; exec sleep 30"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Signal != syscall.SIGQUIT || res.Recording.Partial {
		t.Fatalf("signal %v, partial %v (%q), want SIGQUIT and complete", res.Signal, res.Recording.Partial, res.Recording.Reason)
	}
}

// TestRecordCannotAttach runs the recorder in a child whose seccomp
// filter refuses ptrace: it must fail with a clear reason.
func TestRecordCannotAttach(t *testing.T) {
	cmd := exec.Command(self(t))
	cmd.Env = workloadEnviron("noptrace")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	s := string(b)
	if !strings.Contains(s, "cannot trace the program") || !strings.Contains(s, "PTRACE_TRACEME") {
		t.Errorf("recorder without ptrace said %q", s)
	}
}

// TestRecordX32 records a call made through the x32 table under x32,
// named by the x32 table.
func TestRecordX32(t *testing.T) {
	if native(t) != arch.X86_64 {
		t.Skip("x32 is an x86_64 ABI")
	}
	o := helperOpts(t)
	o.Env = workloadEnviron("x32")
	res, err := Run(context.Background(), []string{self(t)}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Recording.Has(arch.X32, "getpid") {
		t.Errorf("x32 getpid not recorded: %v", res.Recording.Calls())
	}
	p := res.Recording.Profile(ProfileOptions{})
	if !slices.Contains(p.Arches, arch.X32) {
		t.Errorf("profile architectures %v lack x32", p.Arches)
	}
}

// TestRecordExecFromThread: a program whose second thread executes
// another program; the new program's calls are recorded and its exit
// status is the recording's.
func TestRecordExecFromThread(t *testing.T) {
	wl := buildC(t, "workload.c", "-pthread")
	o := helperOpts(t)
	o.Env = workloadEnviron("execthread")
	res, err := Run(context.Background(), []string{self(t), wl, "exec-child"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || res.Signal != 0 {
		t.Errorf("exit %d, signal %v; want 0 from the executed program", res.ExitCode, res.Signal)
	}
	if !res.Recording.Has(native(t), "getrusage") {
		t.Errorf("the executed program's getrusage not recorded: %v", res.Recording.Calls())
	}
}

// TestRecordNoListener runs the recorder in a child whose seccomp filter
// refuses pidfd_getfd: the helper, waiting for its listener to be
// answered, is killed and the error says to record with stops.
func TestRecordNoListener(t *testing.T) {
	cmd := exec.Command(self(t))
	cmd.Env = workloadEnviron("nogetfd")
	timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() }) // a hang is the bug
	defer timer.Stop()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if s := string(b); !strings.Contains(s, "cannot take the recording filter's listener") || !strings.Contains(s, "--stops") {
		t.Errorf("recorder without pidfd_getfd said %q", s)
	}
}

// TestRecordUntraced: a task the program starts with CLONE_UNTRACED
// leaves the trace but keeps the recording filter. With a listener, Run
// serves it, and what it starts, until the last of them ends, so their
// calls work and are recorded; with ptrace stops they cannot be, and the
// recording says it is partial, naming the task, even when the program
// dies before the clone that started the task returns (vthread).
func TestRecordUntraced(t *testing.T) {
	prog := buildC(t, "untraced.c", "-pthread")
	for _, mode := range []string{"clone", "clone3", "deep", "daemon", "thread", "parent", "uthread", "vthread"} {
		for _, stops := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stops=%v", mode, stops), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out")
				o := helperOpts(t)
				o.Stops = stops
				var told []int
				o.OnUntraced = func(tids []int) { told = tids }
				res, err := Run(context.Background(), []string{prog, mode, out}, o)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Listener {
					if !stops {
						t.Skip("no seccomp listener on this kernel (USER_NOTIF, pidfd_getfd)")
					}
					wantUntracedPartial(t, res)
					// Again with what it did as Known: the filter lets
					// clone and clone3 run without a stop no more than
					// any other call that starts a task outside the trace.
					if nat := res.Recording.Native; !res.Recording.Has(nat, "clone") && !res.Recording.Has(nat, "clone3") {
						t.Fatalf("neither clone nor clone3 recorded: %v", res.Recording.Calls())
					}
					o.Known = res.Recording.Profile(ProfileOptions{})
					res, err := Run(context.Background(), []string{prog, mode, out}, o)
					if err != nil {
						t.Fatal(err)
					}
					wantUntracedPartial(t, res)
					return
				}
				// Run returned only after the untraced tasks ended.
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatalf("the untraced task had not finished when Run returned: %v", err)
				}
				if string(b) != "sysinfo 0\n" {
					t.Errorf("the untraced task says %q, want its sysinfo to work", b)
				}
				if !res.Recording.Has(res.Recording.Native, "sysinfo") {
					t.Errorf("sysinfo of the untraced task is not recorded")
				}
				// A thread outside the trace keeps the program's process,
				// which signals reach, and its traced first thread is not
				// reported ended before it: the program has not ended.
				if len(told) == 0 && mode != "uthread" && mode != "vthread" {
					t.Errorf("OnUntraced was not called")
				}
				if res.Recording.Partial {
					t.Errorf("partial: %s", res.Recording.Reason)
				}
			})
		}
	}
}

func wantUntracedPartial(t *testing.T, res *Result) {
	t.Helper()
	if !res.Recording.Partial || !strings.Contains(res.Recording.Reason, "CLONE_UNTRACED") {
		t.Errorf("with stops: partial %v (%q), want partial naming CLONE_UNTRACED", res.Recording.Partial, res.Recording.Reason)
	}
	if res.ExitStatus() == 0 {
		t.Errorf("with stops: exit status 0 for a partial recording")
	}
}

// TestRecordUntracedBusy: a task outside the trace that never pauses
// between calls (for 3 seconds, from two threads) is announced once the
// program has ended, not only when the listener is idle, and ending the
// context then ends the recording, partial, naming the task.
func TestRecordUntracedBusy(t *testing.T) {
	prog := buildC(t, "untraced.c", "-pthread")
	o := helperOpts(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var told []int
	o.OnUntraced = func(tids []int) {
		told = tids
		cancel()
	}
	res, err := Run(ctx, []string{prog, "busy", filepath.Join(t.TempDir(), "out")}, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range told {
		_ = syscall.Kill(tid, syscall.SIGKILL) // its calls fail from now on
	}
	if !res.Listener {
		t.Skip("no seccomp listener on this kernel (USER_NOTIF, pidfd_getfd)")
	}
	if len(told) == 0 {
		t.Fatalf("OnUntraced got %v, want the busy task", told)
	}
	if want := fmt.Sprint(told[0]); !res.Recording.Partial || !strings.Contains(res.Recording.Reason, want) {
		t.Errorf("partial %v (%q), want partial naming task %s", res.Recording.Partial, res.Recording.Reason, want)
	}
	if res.ExitStatus() == 0 {
		t.Errorf("exit status 0 for a partial recording")
	}
}

// TestRecordSignalAfterLeader: a signal to forward that comes after the
// program's first process has ended, while what it started is still
// recorded, never reaches another process that now has its id.
func TestRecordSignalAfterLeader(t *testing.T) {
	testenv.Root(t, "writing /proc/sys/kernel/ns_last_pid")
	sh := testenv.Tool(t, "sh", "dash")
	sleep := testenv.Tool(t, "sleep", "coreutils")
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	o := helperOpts(t)
	sigs := make(chan os.Signal, 1)
	o.Signals = sigs
	type out struct {
		res *Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		// The leader writes its id and ends; its child keeps the
		// recording going until the test has sent its signal.
		res, err := Run(context.Background(), []string{sh, "-c", `echo $$ > "$1.tmp"; mv "$1.tmp" "$1"; "$2" 3 & exit 0`, "sh", pidFile, sleep}, o)
		done <- out{res, err}
	}()
	var leader int
	for leader == 0 {
		if b, err := os.ReadFile(pidFile); err == nil {
			fmt.Sscan(string(b), &leader)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Wait until the leader is gone, then start a process with its id.
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", leader)); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	var victim *exec.Cmd
	for try := 0; try < 50 && victim == nil; try++ {
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(fmt.Sprint(leader-1)), 0); err != nil {
			t.Fatalf("set the next process id: %v", err)
		}
		cmd := exec.Command(sleep, "30")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if cmd.Process.Pid == leader {
			victim = cmd
			break
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
	if victim == nil {
		t.Fatalf("no process got id %d again in 50 tries", leader)
	}
	defer victim.Wait()
	defer victim.Process.Kill()
	sigs <- syscall.SIGTERM
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", leader)); err != nil || strings.Contains(string(b), ") Z ") {
		t.Errorf("the process that took the leader's id %d got the forwarded signal: it has ended", leader)
	}
}
