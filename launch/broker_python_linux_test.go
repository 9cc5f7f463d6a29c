package launch_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/launch"
)

// pyCheck is the check function of the Python scripts: it runs f and
// prints one JSON line, the check's name and what it got ("ok:..." or
// "err:ERRNO"). The script imports errno and json.
const pyCheck = `def check(name, f):
    try:
        r = "ok:" + str(f())
    except OSError as e:
        r = "err:" + errno.errorcode.get(e.errno, str(e.errno))
    print(json.dumps([name, r]), flush=True)
`

// brokerScript is run by Python under the broker, in dir, with the
// allowed tree dir/tree (read-only) and dir/out (read-write); dir/secret
// holds "secret". Each check prints one JSON line: its name and what it
// got ("ok:..." or "err:ERRNO").
const brokerScript = `
import ctypes, errno, json, os, sys, threading
tree, secret, out = sys.argv[1], sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
` + pyCheck + `def read(p, flags=os.O_RDONLY, **kw):
    fd = os.open(p, flags, **kw)
    try:
        return os.read(fd, 100).decode().strip()
    finally:
        os.close(fd)

# Inside the tree: open, stat, lstat, access, readlink, statx, fstat.
check("open", lambda: read(tree + "/f"))
check("stat", lambda: os.stat(tree + "/f").st_size)
check("lstat", lambda: "link" if os.path.islink(tree + "/link") else "not a link")
check("access", lambda: os.access(tree + "/f", os.R_OK))
check("access-w", lambda: os.access(tree + "/f", os.W_OK))
check("readlink", lambda: os.readlink(tree + "/link"))
check("fstat", lambda: os.fstat(os.open(tree + "/f", os.O_RDONLY)).st_size)
def statx(p):
    buf = ctypes.create_string_buffer(256)
    if libc.statx(-100, p.encode(), 0, 0x7ff, buf) != 0:
        raise OSError(ctypes.get_errno(), "statx")
    return int.from_bytes(buf.raw[40:48], "little")  # stx_size
check("statx", lambda: statx(tree + "/f"))
check("listdir", lambda: ",".join(sorted(os.listdir(tree))))
check("relative", lambda: read("tree/f"))
dfd = os.open(tree, os.O_RDONLY | os.O_DIRECTORY)
check("dirfd", lambda: read("f", dir_fd=dfd))
check("stat-dirfd", lambda: os.stat("f", dir_fd=dfd).st_size)
check("create-rw", lambda: os.write(os.open(out + "/new", os.O_WRONLY | os.O_CREAT, 0o666), b"x"))
check("proc-self", lambda: [l for l in open("/proc/self/status") if l.startswith("Pid:")][0].split()[1] == str(os.getpid()))
check("proc-thread-self", lambda: os.stat("/proc/thread-self/stat").st_size == 0)

# Escapes: each must fail.
check("secret", lambda: read(secret))
check("stat-secret", lambda: os.stat(secret).st_size)
check("access-secret", lambda: os.access(secret, os.R_OK) or (_ for _ in ()).throw(OSError(errno.EACCES, "")))
check("readlink-secret-dir", lambda: os.readlink(os.path.dirname(secret) + "/outlink"))
check("link-out", lambda: read(tree + "/link"))
check("stat-link-out", lambda: os.stat(tree + "/link").st_size)
check("dotdot", lambda: read(tree + "/../secret"))
check("stat-dotdot", lambda: os.stat(tree + "/../secret").st_size)
check("dirfd-dotdot", lambda: read("../secret", dir_fd=dfd))
check("dir-link-up", lambda: read(tree + "/up/secret"))
check("proc-fd", lambda: read("/proc/self/fd/%d/../secret" % dfd))
check("proc-cwd", lambda: read("/proc/self/cwd/secret"))
check("proc-root", lambda: read("/proc/self/root" + secret))
check("proc-launcher", lambda: read("/proc/%d/status" % os.getppid()))
check("proc-launcher-environ", lambda: read("/proc/%d/environ" % os.getppid()))
check("proc-dotdot-self", lambda: read("/proc/%d/../self/status" % os.getpid()))
check("create-ro", lambda: os.open(tree + "/new", os.O_WRONLY | os.O_CREAT, 0o666))
check("creat-rdonly", lambda: os.open(tree + "/new2", os.O_RDONLY | os.O_CREAT, 0o666))
check("trunc-ro", lambda: os.open(tree + "/f", os.O_RDONLY | os.O_TRUNC))
check("write-ro", lambda: os.open(tree + "/f", os.O_WRONLY))
check("append-ro", lambda: os.open(tree + "/f", os.O_WRONLY | os.O_APPEND))
check("tmpfile-ro", lambda: os.open(tree, os.O_RDWR | os.O_TMPFILE))
def raw_openat(p, flags):
    r = libc.syscall(257, -100, p.encode(), flags, 0)
    if r < 0:
        raise OSError(ctypes.get_errno(), "openat")
    return r
check("unknown-flag", lambda: raw_openat(tree + "/f", 0x40000000))
def openat2(p):
    how = (ctypes.c_uint64 * 3)(0, 0, 0x08)  # RESOLVE_BENEATH: the broker does not apply it
    r = libc.syscall(437, -100, p.encode(), how, 24)
    if r < 0:
        raise OSError(ctypes.get_errno(), "openat2")
    return r
check("openat2-resolve", lambda: openat2(tree + "/f"))
def stat_into_code():
    # The result buffer is read-only (the C library's code): the kernel
    # would give EFAULT; the broker must not write there either.
    addr = ctypes.cast(libc.getpid, ctypes.c_void_p).value
    before = ctypes.string_at(addr, 16)
    r = libc.syscall(262, -100, (tree + "/f").encode(), ctypes.c_void_p(addr), 0)
    e = ctypes.get_errno()
    if ctypes.string_at(addr, 16) != before:
        return "written"
    if r < 0:
        raise OSError(e, "newfstatat")
    return r
check("stat-ro-buffer", stat_into_code)

# Changes by path: inside the writable tree they are done, anywhere
# else refused; a hard link never brings an outside file in.
def mkdir_ls(p):
    os.mkdir(p)
    return os.path.isdir(p)
check("mkdir-rw", lambda: mkdir_ls(out + "/d"))
check("mkdir-ro", lambda: os.mkdir(tree + "/d"))
check("mkdir-out", lambda: os.mkdir(os.path.dirname(secret) + "/d"))
check("mkdir-dotdot", lambda: os.mkdir(out + "/../d"))
check("symlink-rw", lambda: os.symlink(secret, out + "/s") or read(out + "/s"))
check("rename-rw", lambda: os.rename(out + "/new", out + "/renamed") or read(out + "/renamed"))
check("rename-from-ro", lambda: os.rename(tree + "/f", out + "/f"))
check("rename-secret-in", lambda: os.rename(secret, out + "/stolen"))
check("rename-out", lambda: os.rename(out + "/renamed", out + "/../moved"))
check("link-secret-in", lambda: os.link(secret, out + "/hard"))
check("link-ro-in", lambda: os.link(tree + "/f", out + "/hard"))
def linkat_follow(src, dst):
    if libc.linkat(-100, src.encode(), -100, dst.encode(), 0x400) != 0:  # AT_SYMLINK_FOLLOW
        raise OSError(ctypes.get_errno(), "linkat")
check("link-follow-out", lambda: linkat_follow(out + "/s", out + "/hard"))
check("link-rw", lambda: os.link(out + "/renamed", out + "/hard2") or read(out + "/hard2"))
check("unlink-ro", lambda: os.unlink(tree + "/f"))
check("unlink-secret", lambda: os.unlink(secret))
check("unlink-rw", lambda: os.unlink(out + "/hard2"))
check("rmdir-rw", lambda: os.rmdir(out + "/d"))
check("chmod-rw", lambda: os.chmod(out + "/renamed", 0o600) or oct(os.stat(out + "/renamed").st_mode & 0o777))
check("chmod-ro", lambda: os.chmod(tree + "/f", 0o666))
check("chmod-secret", lambda: os.chmod(secret, 0o666))
check("truncate-rw", lambda: os.truncate(out + "/renamed", 0) or os.stat(out + "/renamed").st_size)
check("truncate-ro", lambda: os.truncate(tree + "/f", 0))
check("utime-rw", lambda: os.utime(out + "/renamed", (1, 2)) or os.stat(out + "/renamed").st_mtime)
check("utime-ro", lambda: os.utime(tree + "/f", (1, 2)))
check("statvfs", lambda: os.statvfs(tree))
check("getxattr", lambda: os.getxattr(tree + "/f", "user.x"))
check("chown", lambda: os.chown(out + "/renamed", 0, 0))
check("mknod", lambda: os.mkfifo(out + "/fifo"))
def io_uring():
    params = ctypes.create_string_buffer(120)
    r = libc.syscall(425, 4, params)
    if r < 0:
        raise OSError(ctypes.get_errno(), "io_uring_setup")
    return r
check("io_uring", io_uring)

# A path rewritten in the caller's memory while the call is notified:
# the broker opens what it copied, never the other name.
buf = ctypes.create_string_buffer(200)
inside, outside = (tree + "/f").encode(), secret.encode()
def rewrite():
    while not stop:
        ctypes.memmove(buf, inside + b"\0", len(inside) + 1)
        ctypes.memmove(buf, outside + b"\0", len(outside) + 1)
def buffer_race():
    global stop
    stop = False
    t = threading.Thread(target=rewrite)
    t.start()
    got = set()
    for _ in range(300):
        fd = libc.open(buf, 0)
        if fd < 0:
            got.add("err")
            continue
        got.add(os.read(fd, 100).decode().strip())
        os.close(fd)
    stop = True
    t.join()
    return ",".join(sorted(got))
check("buffer-race", buffer_race)
`

// TestBrokerPython runs a real Python program under the broker: it
// opens, stats, checks and reads links inside its trees, and every way
// out (a path outside, a symbolic link out, "..", a dirfd, /proc/self's
// fd, cwd and root links, the launcher's /proc entry, a create or write
// in a read-only tree, a flag or resolve flag the broker does not apply,
// a result buffer the program may not write, a path rewritten while the
// call waits) fails.
func TestBrokerPython(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	outDir := filepath.Join(dir, "out")
	secret := filepath.Join(dir, "secret")
	for _, d := range []string{tree, outDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for f, s := range map[string]string{filepath.Join(tree, "f"): "inside\n", secret: "secret\n"} {
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for l, target := range map[string]string{
		filepath.Join(tree, "link"):    secret,
		filepath.Join(tree, "up"):      "..",
		filepath.Join(dir, "outlink"):  filepath.Join(tree, "f"),
		filepath.Join(tree, "in-link"): "f",
	} {
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
	}
	cmd := launch.Command(allowAll(), python(t), "-I", "-c", brokerScript, tree, secret, outDir)
	cmd.Dir = dir
	cmd.AllowOpen = []launch.OpenRule{{Path: tree}, {Path: outDir, Write: true}, {Path: "/proc"}}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	want := map[string]string{
		"open": "ok:inside", "stat": "ok:7", "lstat": "ok:link", "access": "ok:True",
		"access-w": "ok:False", "readlink": "ok:" + secret, "fstat": "ok:7", "statx": "ok:7",
		"listdir": "ok:f,in-link,link,up", "relative": "ok:inside", "dirfd": "ok:inside", "stat-dirfd": "ok:7",
		"create-rw": "ok:1", "proc-self": "ok:True", "proc-thread-self": "ok:True",

		"secret": "err:EACCES", "stat-secret": "err:EACCES", "access-secret": "err:EACCES",
		"readlink-secret-dir": "err:EACCES", "link-out": "err:EACCES", "stat-link-out": "err:EACCES",
		"dotdot": "err:EACCES", "stat-dotdot": "err:EACCES", "dirfd-dotdot": "err:EACCES",
		"dir-link-up": "err:EACCES", "proc-fd": "err:EACCES", "proc-cwd": "err:EACCES",
		"proc-root": "err:EACCES", "proc-launcher": "err:EACCES", "proc-launcher-environ": "err:EACCES",
		"proc-dotdot-self": "err:EACCES",
		"create-ro":        "err:EACCES", "creat-rdonly": "err:EACCES", "trunc-ro": "err:EACCES", "write-ro": "err:EACCES",
		"append-ro": "err:EACCES", "tmpfile-ro": "err:EACCES", "unknown-flag": "err:EINVAL",
		"openat2-resolve": "err:EACCES", "stat-ro-buffer": "err:EFAULT",
		"buffer-race": "ok:err,inside",

		"mkdir-rw": "ok:True", "mkdir-ro": "err:EACCES", "mkdir-out": "err:EACCES", "mkdir-dotdot": "err:EACCES",
		"symlink-rw": "err:EACCES", "rename-rw": "ok:x", "rename-from-ro": "err:EACCES", "rename-secret-in": "err:EACCES",
		"rename-out": "err:EACCES", "link-secret-in": "err:EACCES", "link-ro-in": "err:EACCES", "link-follow-out": "err:EACCES",
		"link-rw": "ok:x", "unlink-ro": "err:EACCES", "unlink-secret": "err:EACCES", "unlink-rw": "ok:None", "rmdir-rw": "ok:None",
		"chmod-rw": "ok:0o600", "chmod-ro": "err:EACCES", "chmod-secret": "err:EACCES", "truncate-rw": "ok:0",
		"truncate-ro": "err:EACCES", "utime-rw": "ok:2.0", "utime-ro": "err:EACCES", "statvfs": "err:EACCES",
		"getxattr": "err:ENOTSUP", "chown": "err:EPERM", "mknod": "err:EPERM", "io_uring": "err:EPERM",
	}
	checkResults(t, out.String(), errb.String(), want)
	if b, err := os.ReadFile(secret); err != nil || string(b) != "secret\n" {
		t.Errorf("the secret file: %q, %v; want it untouched", b, err)
	}
	if fi, err := os.Stat(secret); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the secret file's mode changed: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(tree, "f")); err != nil || string(b) != "inside\n" {
		t.Errorf("the read-only tree's file: %q, %v", b, err)
	}
	sfi, err := os.Stat(secret)
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if fi, err := os.Lstat(p); err == nil && p != secret && os.SameFile(fi, sfi) {
			t.Errorf("%s is a hard link of the secret file", p)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(tree, "new")); err == nil {
		t.Errorf("the read-only tree got a new file")
	}
	if fi, err := os.Stat(filepath.Join(outDir, "renamed")); err != nil || fi.Mode().Perm() != 0o600 || fi.ModTime().Unix() != 2 {
		t.Errorf("out/renamed (out/new made, renamed, chmod-ed and touched by the program): %v, %v", fi, err)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", errb.String())
	}
	// Every refusal is reported, with the path as the program named it.
	reported := map[string]bool{}
	for _, e := range cmd.Status.Events {
		if e.Policy != "allow-open" {
			t.Errorf("event %v: want the broker's", e)
		}
		reported[e.Path] = true
	}
	for _, p := range []string{secret, tree + "/link", tree + "/../secret"} {
		if !reported[p] {
			t.Errorf("no report of %s in %v", p, cmd.Status.Events)
		}
	}
}

// TestBrokerSymlinkRace swaps a name of the tree between a file and a
// symbolic link out of it while Python opens and stats it: the broker
// opens the file or refuses, never the secret.
func TestBrokerSymlinkRace(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	secret := filepath.Join(dir, "secret")
	if err := os.Mkdir(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := launch.Command(allowAll(), python(t), "-I", "-c", `
import os, sys, threading
tree, secret = sys.argv[1], sys.argv[2]
stop = False
def flip():
    n = 0
    while not stop:
        n += 1
        tmp = tree + "/t%d" % n
        if n % 2:
            os.symlink(secret, tmp)
        else:
            with open(tmp, "w") as f:
                f.write("inside")
        os.replace(tmp, tree + "/x")
t = threading.Thread(target=flip)
open(tree + "/x", "w").write("inside")
t.start()
got = set()
for i in range(2000):
    try:
        fd = os.open(tree + "/x", os.O_RDONLY)
        got.add(os.read(fd, 100).decode().strip() or "empty")
        os.close(fd)
    except OSError as e:
        got.add(str(e.errno))
    try:
        got.add("size%d" % os.stat(tree + "/x").st_size)
    except OSError as e:
        got.add(str(e.errno))
stop = True
t.join()
print(",".join(sorted(got)))
`, tree, secret)
	cmd.AllowOpen = []launch.OpenRule{{Path: tree, Write: true}}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errb.String())
	}
	got := strings.TrimSpace(out.String())
	if strings.Contains(got, "secret") || strings.Contains(got, "size7") {
		t.Errorf("opened through the swapped link: %s", got)
	}
	if !strings.Contains(got, "inside") || !strings.Contains(got, "13") {
		t.Errorf("got %s, want both the file and refusals (EACCES) of the link", got)
	}
}

// TestBrokerFailsClosed: once the launcher no longer answers, a process
// left in the tree neither opens nor stats anything: ENOSYS.
func TestBrokerFailsClosed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := launch.Command(allowAll(), python(t), "-I", "-c", `import os, sys, time
if os.fork() == 0:
    time.sleep(1)
    res = []
    for f in (lambda: os.open(sys.argv[1], os.O_RDONLY), lambda: os.stat(sys.argv[1])):
        try:
            f()
            res.append("ok")
        except OSError as e:
            res.append(str(e.errno))
    os.write(3, (",".join(res) + "\n").encode())
    os._exit(0)`, filepath.Join(dir, "f"))
	cmd.AllowOpen = []launch.OpenRule{{Path: dir}}
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 64)
	n, _ := r.Read(b)
	if got := strings.TrimSpace(string(b[:n])); got != "38,38" {
		t.Errorf("open and stat after the launcher stopped answering: %q, want 38,38 (ENOSYS)", got)
	}
}

// statOnly is a BrokerPolicy of the test's own: files beneath its tree
// may be stat-ed and checked, not opened nor read as links.
type statOnly struct {
	tree string
	seen []launch.BrokerRequest
}

func (p *statOnly) Decide(r launch.BrokerRequest) launch.BrokerDecision {
	p.seen = append(p.seen, r)
	if (r.Op == launch.OpStat || r.Op == launch.OpAccess) && strings.HasPrefix(r.Path, p.tree+"/") {
		return launch.BrokerDecision{Trees: []string{p.tree}}
	}
	if strings.HasPrefix(r.Path, "/usr/lib/") || strings.HasPrefix(r.Path, "/etc/ld.so") || strings.HasPrefix(r.Path, "/lib") {
		return launch.BrokerDecision{Trees: []string{"/usr/lib", "/lib", "/etc"}}
	}
	return launch.BrokerDecision{Errno: syscall.ENOENT}
}

// TestBrokerPolicy runs cat and stat(1) with a policy of the caller's:
// the stat is done, the open refused with the policy's errno and
// reported as the broker's.
func TestBrokerPolicy(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		argv []string
		ok   bool
		out  string
	}{
		{[]string{"/usr/bin/stat", "-c", "%s", f}, true, "5"},
		{[]string{"/bin/cat", f}, false, "No such file or directory"},
	} {
		p := &statOnly{tree: dir}
		cmd := launch.Command(allowAll(), c.argv[0], c.argv[1:]...)
		cmd.Broker = &launch.Broker{Policy: p}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if (err == nil) != c.ok || !strings.Contains(out.String()+errb.String(), c.out) {
			t.Errorf("%v: %v, stdout %q, stderr %q; want ok=%v and %q", c.argv, err, out.String(), errb.String(), c.ok, c.out)
		}
		asked := false
		for _, r := range p.seen {
			asked = asked || r.Path == f
		}
		if !asked {
			t.Errorf("%v: the policy was not asked about %s: %v", c.argv, f, p.seen)
		}
		if !c.ok {
			found := false
			for _, e := range cmd.Status.Events {
				found = found || (e.Policy == "broker" && e.Path == f && e.Action.Data == uint16(syscall.ENOENT))
			}
			if !found {
				t.Errorf("%v: events %v, want the refusal of %s", c.argv, cmd.Status.Events, f)
			}
		}
	}
}

// portPolicy is OpenRules with a ConnectPolicy: it refuses one port.
type portPolicy struct {
	launch.OpenRules
	deny string
	seen []string
}

func (p *portPolicy) DecideConnect(pid, family int, addr string) syscall.Errno {
	p.seen = append(p.seen, addr)
	if addr == p.deny {
		return syscall.ECONNREFUSED
	}
	return 0
}

// TestBrokerSockets: under the broker a program connects and binds unix
// sockets only beneath its trees (a daemon's socket outside, as
// docker.sock would be, is refused, even when the program rewrites the
// address while the call waits), and a ConnectPolicy decides network
// addresses.
func TestBrokerSockets(t *testing.T) {
	dir := t.TempDir()
	rw := filepath.Join(dir, "rw")
	if err := os.Mkdir(rw, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "daemon.sock")
	uln, err := net.Listen("unix", outside)
	if err != nil {
		t.Fatal(err)
	}
	defer uln.Close()
	var accepted atomic.Int32
	go acceptAndClose(uln, &accepted)
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tln.Close()
	go acceptAndClose(tln, nil)
	tln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tln2.Close()
	script := `
import ctypes, errno, json, os, socket, sys, threading
socket.setdefaulttimeout(20)
rw, outside, port, port2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
` + pyCheck + `def unix_connect(p):
    s = socket.socket(socket.AF_UNIX)
    s.connect(p)
    s.close()
check("connect-outside", lambda: unix_connect(outside))
srv = socket.socket(socket.AF_UNIX)
check("bind-rw", lambda: srv.bind(rw + "/in.sock"))
srv.listen(100)
def serve():
    while True:
        c, _ = srv.accept()
        c.sendall(b"hi")
        c.close()
threading.Thread(target=serve, daemon=True).start()
def unix_talk(p):
    s = socket.socket(socket.AF_UNIX)
    s.connect(p)
    d = s.recv(10)
    s.close()
    return d.decode()
check("connect-rw", lambda: unix_talk(rw + "/in.sock"))
check("connect-rw-relative", lambda: unix_talk("rw/in.sock"))
check("bind-outside", lambda: socket.socket(socket.AF_UNIX).bind(os.path.dirname(outside) + "/b.sock"))
check("connect-dotdot", lambda: unix_connect(rw + "/../daemon.sock"))
def tcp(p):
    s = socket.create_connection(("127.0.0.1", p), timeout=5)
    s.close()
check("tcp", lambda: tcp(port))
check("tcp-denied", lambda: tcp(port2))
# The address rewritten while the call waits: never the daemon.
libc = ctypes.CDLL(None, use_errno=True)
def sun(p):
    b = p.encode()
    return (1).to_bytes(2, sys.byteorder) + b + b"\0" * (108 - len(b))
inside_sa, outside_sa = sun(rw + "/in.sock"), sun(outside)
buf = ctypes.create_string_buffer(110)
stop = False
def flip():
    while not stop:
        ctypes.memmove(buf, inside_sa, 110)
        ctypes.memmove(buf, outside_sa, 110)
t = threading.Thread(target=flip)
t.start()
n = 0
for _ in range(200):
    s = socket.socket(socket.AF_UNIX)
    if libc.connect(s.fileno(), buf, 110) == 0:
        n += 1
    s.close()
stop = True
t.join()
check("race", lambda: n > 0)
`
	pol := &portPolicy{OpenRules: append(launch.OpenRules{{Path: rw, Write: true}}, launch.DefaultOpens...), deny: tln2.Addr().String()}
	cmd := launch.Command(allowAll(), python(t), "-I", "-c", script, rw, outside,
		strconv.Itoa(tln.Addr().(*net.TCPAddr).Port), strconv.Itoa(tln2.Addr().(*net.TCPAddr).Port))
	cmd.Dir = dir
	cmd.Broker = &launch.Broker{Policy: pol}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A call left unanswered would hang the program: fail instead.
	hung := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	hung.Stop()
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	want := map[string]string{
		"connect-outside": "err:EACCES", "bind-rw": "ok:None", "connect-rw": "ok:hi", "connect-rw-relative": "ok:hi",
		"bind-outside": "err:EACCES", "connect-dotdot": "err:EACCES", "tcp": "ok:None", "tcp-denied": "err:ECONNREFUSED",
		"race": "ok:True",
	}
	checkResults(t, out.String(), errb.String(), want)
	if n := accepted.Load(); n != 0 {
		t.Errorf("the daemon outside the trees accepted %d connections", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.sock")); err == nil {
		t.Errorf("a socket was bound outside the trees")
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", errb.String())
	}
}

// checkResults reads out, the lines of a script each a JSON pair [name,
// result], and checks the results want names (stderr is the script's,
// for a line that is no pair).
func checkResults(t *testing.T, out, stderr string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var kv [2]string
		if err := json.Unmarshal([]byte(line), &kv); err != nil {
			t.Fatalf("line %q: %v\n%s", line, err, stderr)
		}
		got[kv[0]] = kv[1]
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
}

// acceptAndClose closes each connection ln accepts, counting them in
// accepted (unless nil), until ln is closed.
func acceptAndClose(ln net.Listener, accepted *atomic.Int32) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if accepted != nil {
			accepted.Add(1)
		}
		c.Close()
	}
}
