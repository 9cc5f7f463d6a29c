package launch_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/unix"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
)

// sandboxPython is Debian's Python: the sandbox's user (nobody) cannot
// reach an interpreter under /root.
const sandboxPython = "/usr/bin/python3"

// TestSandbox runs a real Python program in the sandbox and checks what
// it sees: a child of pid 1 of its namespace, the sandbox's init, and
// not pid 1 itself (its pid comes after the init's threads'), the host's nobody without
// capabilities, its own host name, no route to a port the host listens
// on (while the loopback works), a read-only file system but for the
// writable path and a private /tmp, and nothing of the host's /tmp.
func TestSandbox(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the sandbox maps the host's nobody")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go acceptAndClose(ln, nil)
	port := ln.Addr().(*net.TCPAddr).Port
	rw := t.TempDir()
	if err := os.Chmod(rw, 0o777); err != nil {
		t.Fatal(err)
	}
	hostTmp := filepath.Join(os.TempDir(), "syscage-sandbox-host-file")
	if err := os.WriteFile(hostTmp, []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(hostTmp)
	script := `
import json, os, socket, sys
port, rw, host_tmp, tmp_name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
r = {"pid": os.getpid(), "ppid": os.getppid(), "uid": os.getuid(), "hostname": socket.gethostname()}
caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff") or l.startswith("CapPrm")]
r["caps"] = caps
def try_(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return type(e).__name__
def connect(p):
    s = socket.create_connection(("127.0.0.1", p), timeout=2)
    s.close()
r["connect_host"] = try_(lambda: connect(port))
def loop():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    connect(srv.getsockname()[1])
r["loopback"] = try_(loop)
r["write_rw"] = try_(lambda: open(rw + "/out", "w").write("x"))
r["write_etc"] = try_(lambda: open("/etc/syscage-sandbox-test", "w").write("x"))
r["write_usr"] = try_(lambda: open("/usr/syscage-sandbox-test", "w").write("x"))
r["write_tmp"] = try_(lambda: open("/tmp/" + tmp_name, "w").write("x"))
r["host_tmp"] = try_(lambda: open(host_tmp).read())
r["procs"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(json.dumps(r))
`
	// A name no other program uses in the host's /tmp.
	tmpName := "syscage-sandbox" + strings.ReplaceAll(strings.TrimPrefix(rw, os.TempDir()), "/", "-")
	cmd := launch.Command(allowAll(), sandboxPython, "-I", "-c", script, strconv.Itoa(port), rw, hostTmp, tmpName)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.DropCaps = true
	cmd.Sandbox = &launch.Sandbox{RW: []string{rw}}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	var got struct {
		PID         int
		PPID        int
		UID         int
		Hostname    string
		Caps        []string
		ConnectHost string `json:"connect_host"`
		Loopback    string
		WriteRW     string `json:"write_rw"`
		WriteEtc    string `json:"write_etc"`
		WriteUsr    string `json:"write_usr"`
		WriteTmp    string `json:"write_tmp"`
		HostTmp     string `json:"host_tmp"`
		Procs       []int
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v: %s\n%s", err, out.String(), errb.String())
	}
	if got.PID == 1 || got.PPID != 1 {
		t.Errorf("pid %d, parent %d; want a child of pid 1, the sandbox's init", got.PID, got.PPID)
	}
	if got.UID != 65534 {
		t.Errorf("uid %d, want 65534", got.UID)
	}
	if got.Hostname != "sandbox" {
		t.Errorf("host name %q", got.Hostname)
	}
	for _, c := range got.Caps {
		if strings.Trim(c, "0") != "" {
			t.Errorf("capabilities %v, want none", got.Caps)
		}
	}
	if got.ConnectHost == "ok" || got.Loopback != "ok" {
		t.Errorf("connect to the host's port: %s (want refused), to its own loopback: %s (want ok)", got.ConnectHost, got.Loopback)
	}
	if got.WriteRW != "ok" || got.WriteTmp != "ok" {
		t.Errorf("write to the writable path: %s, to /tmp: %s; want ok", got.WriteRW, got.WriteTmp)
	}
	if got.WriteEtc == "ok" || got.WriteUsr == "ok" {
		t.Errorf("write to /etc: %s, /usr: %s; want refused", got.WriteEtc, got.WriteUsr)
	}
	if got.HostTmp == "ok" {
		t.Errorf("the host's /tmp is visible")
	}
	if len(got.Procs) != 2 || got.Procs[0] != 1 || got.Procs[1] != got.PID {
		t.Errorf("processes in /proc: %v, want only 1 (the init) and the program's %d", got.Procs, got.PID)
	}
	if b, err := os.ReadFile(filepath.Join(rw, "out")); err != nil || string(b) != "x" {
		t.Errorf("the writable path's file on the host: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join("/tmp", tmpName)); err == nil {
		t.Errorf("the private /tmp wrote to the host's")
	}
	// The same program outside the sandbox reaches the host's port: the
	// refusal above is the sandbox's.
	cmd = launch.Command(allowAll(), sandboxPython, "-I", "-c", `import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()`, strconv.Itoa(port))
	if err := cmd.Run(); err != nil {
		t.Errorf("outside the sandbox: %v", err)
	}
}

// TestSandboxReport checks the report: the limits hold (a file larger
// than fsize fails, too many files fail), the wall-clock timeout kills
// the program and its tree, and a denial of the profile is reported.
func TestSandboxReport(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the sandbox maps the host's nobody")
	}
	deny := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow},
		Rules: []profile.Rule{{Names: []string{"uname"}, Action: profile.Action{Kind: profile.ActErrno, Data: 1}}}}
	for _, c := range []struct {
		name   string
		script string
		limits launch.Limits
		check  func(t *testing.T, r launch.Report, out string)
	}{
		{"limits", `import os, resource
try:
    open("/tmp/big", "wb").write(b"x" * 200000)
    print("fsize ok")
except OSError as e:
    print("fsize", e.errno)
fds = []
try:
    for i in range(100):
        fds.append(os.open("/dev/null", os.O_RDONLY))
    print("nofile ok")
except OSError as e:
    print("nofile", e.errno)
`, launch.Limits{FSize: 100000, NoFile: 20}, func(t *testing.T, r launch.Report, out string) {
			if !strings.Contains(out, "fsize 27") || !strings.Contains(out, "nofile 24") {
				t.Errorf("output %q, want EFBIG (27) and EMFILE (24)", out)
			}
			if !r.Exited || r.Code != 0 {
				t.Errorf("report %+v, want exit 0", r)
			}
		}},
		{"timeout", `import os, time
if os.fork() == 0:
    time.sleep(60)
time.sleep(60)`, launch.Limits{}, func(t *testing.T, r launch.Report, out string) {
			if !r.TimedOut || r.Signal != "SIGKILL" || r.ExitCode != 137 {
				t.Errorf("report %+v, want timed out, SIGKILL", r)
			}
			if r.WallSeconds < 0.5 || r.WallSeconds > 30 {
				t.Errorf("wall %v s, want about 1", r.WallSeconds)
			}
		}},
		{"denial", `import os
try:
    os.uname()
except OSError as e:
    print("uname", e.errno)`, launch.Limits{}, func(t *testing.T, r launch.Report, out string) {
			if !strings.Contains(out, "uname 1") {
				t.Errorf("output %q", out)
			}
			found := false
			for _, d := range r.Denials {
				found = found || (d.Call == "uname" && d.Action == "ERRNO(1)" && d.Rule != "")
			}
			if !found {
				t.Errorf("denials %+v, want uname's ERRNO(1) with its rule", r.Denials)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := launch.Command(deny, sandboxPython, "-I", "-c", c.script)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			cmd.AuditSession = true
			cmd.Sandbox = &launch.Sandbox{Limits: c.limits}
			if c.name == "timeout" {
				cmd.Sandbox.Timeout = time.Second
			}
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if _, ok := err.(*launch.StartError); ok {
				t.Fatalf("%v\n%s", err, errb.String())
			}
			r := cmd.Report()
			b, _ := json.Marshal(r)
			t.Logf("report %s", b)
			c.check(t, r, out.String())
			if t.Failed() {
				t.Logf("stderr:\n%s", errb.String())
			}
		})
	}
}

// TestSandboxSignals checks that the program in the sandbox dies of the
// signals it would die of outside, which the kernel would not deliver to
// a pid 1 from inside its namespace: SIGXFSZ past the file size limit,
// SIGPIPE on a pipe with no reader, SIGTERM sent to itself or to pid 1
// (the init passes it on), abort's SIGABRT; that its exit status passes
// through; that orphans are reaped; and that the report says so.
func TestSandboxSignals(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the sandbox maps the host's nobody")
	}
	for _, c := range []struct {
		name   string
		args   []string
		limits launch.Limits
		pipe   bool // stdout is a pipe with no reader
		sig    syscall.Signal
		code   int
	}{
		{name: "fsize", args: []string{"sh", "-c", "exec head -c 2M /dev/zero > /tmp/f"}, limits: launch.Limits{FSize: 1 << 20}, sig: syscall.SIGXFSZ},
		{name: "pipe", args: []string{"yes"}, pipe: true, sig: syscall.SIGPIPE},
		{name: "term-self", args: []string{"sh", "-c", "kill -TERM $$; exit 3"}, sig: syscall.SIGTERM},
		{name: "term-init", args: []string{"sh", "-c", "kill -TERM 1; while :; do sleep 1; done"}, sig: syscall.SIGTERM},
		{name: "abort", args: []string{sandboxPython, "-I", "-c", "import os; os.abort()"}, sig: syscall.SIGABRT},
		{name: "exit", args: []string{"sh", "-c", "exit 7"}, code: 7},
		// The orphan's zombie goes away: the init reaps it. The loop
		// waits for that, for at most 10 s.
		{name: "orphan", args: []string{"sh", "-c", `sh -c 'true & exit 0'
i=0
while grep -q '^State:.*Z' /proc/[0-9]*/status 2>/dev/null; do
	i=$((i+1)); [ $i -gt 100 ] && exit 9
	sleep 0.1
done
exit 0`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := launch.Command(allowAll(), c.args[0], c.args[1:]...)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			// Without the init, a shell as pid 1 ignores its SIGTERM and
			// would loop: the timeout ends it, and the test fails.
			cmd.Sandbox = &launch.Sandbox{Limits: c.limits, Timeout: 30 * time.Second}
			var errb strings.Builder
			cmd.Stderr = &errb
			if c.pipe {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				r.Close()
				defer w.Close()
				cmd.Stdout = w
			}
			err := cmd.Run()
			if _, ok := err.(*launch.StartError); ok {
				t.Fatalf("%v\n%s", err, errb.String())
			}
			rep := cmd.Report()
			b, _ := json.Marshal(rep)
			st := cmd.Status
			if c.sig != 0 {
				want := `"signal":"` + unix.SignalName(c.sig) + `"`
				if st.Exited || st.Signal != c.sig || !strings.Contains(string(b), want) || rep.ExitCode != 128+int(c.sig) {
					t.Errorf("status %+v, report %s; want killed by %v", st, b, c.sig)
				}
			} else if !st.Exited || st.Code != c.code || rep.ExitCode != c.code || rep.Signal != "" {
				t.Errorf("status %+v, report %s; want exit %d", st, b, c.code)
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", errb.String())
			}
		})
	}
}
