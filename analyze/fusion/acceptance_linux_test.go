package fusion_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// acceptanceEnv turns on TestAcceptance, which needs Debian packages
// (redis-server, lighttpd, sqlite3, python3, git, gcc, curl) and takes a
// minute or two.
const acceptanceEnv = "SYSCAGE_ACCEPTANCE"

// accProgram is a real program of the acceptance: how to run it, a
// training workload, a different (held-out) workload and an attack.
type accProgram struct {
	name string
	// argv runs the program; for a server, with the address of port.
	argv func(dir string, port int) []string
	// server programs listen on port until SIGTERM; tools run to their
	// end.
	server bool
	// train and held are the client workloads of a server (the program
	// runs once per step), or the argv of a tool's runs.
	train, held []step
	// attack runs the attack under a profile and says whether the
	// shell ran (its output or the program's says "uid=").
	attack step
	// analyze are more programs the workload runs.
	analyze []string
	// execAllow: the program's tree executes programs (a shell
	// script), so it runs with exec-once and these allowed.
	execAllow []string
}

// step is one run of the program: for a server, the client requests
// (and env for the server); for a tool, its argv.
type step struct {
	argv   []string
	env    []string
	client func(addr string) error
}

type accRun struct {
	out    string
	status launch.Status
	err    error
}

func TestAcceptance(t *testing.T) {
	if os.Getenv(acceptanceEnv) == "" {
		t.Skipf("set %s=1 to run the acceptance on real programs (apt-get install redis-server lighttpd sqlite3 python3 git gcc curl)", acceptanceEnv)
	}
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	must(t, os.MkdirAll(filepath.Join(www, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(www, "index.html"), []byte("<h1>hi</h1>\n"), 0o644))
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	must(t, os.WriteFile(filepath.Join(www, "big.bin"), big, 0o644))
	must(t, os.WriteFile(filepath.Join(www, "sub", "a.txt"), []byte("a\n"), 0o644))
	attackSO := filepath.Join(dir, "attack.so")
	if b, err := exec.Command("gcc", "-shared", "-fPIC", "-o", attackSO, "testdata/attack.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	goserver := filepath.Join(dir, "goserver")
	if b, err := exec.Command("go", "build", "-o", goserver, "./testdata/goserver").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	pyservice, _ := filepath.Abs("testdata/pyservice.py")
	lconf := filepath.Join(dir, "lighttpd.conf")
	attackOut := filepath.Join(dir, "attack.out")
	preload := []string{"LD_PRELOAD=" + attackSO, "SYSCAGE_ACCEPTANCE_ATTACK=1", "SYSCAGE_ATTACK=" + attackOut}
	get := func(paths ...string) func(string) error {
		return func(addr string) error {
			for _, p := range paths {
				want := http.StatusOK
				if strings.HasPrefix(p, "!") {
					p, want = p[1:], http.StatusNotFound
				}
				resp, err := http.Get("http://" + addr + p)
				if err != nil {
					return err
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				if resp.StatusCode != want {
					return fmt.Errorf("GET %s: %s, want %d", p, resp.Status, want)
				}
				if p == "/big.bin" && n != int64(len(big)) {
					return fmt.Errorf("GET %s: %d bytes, want %d", p, n, len(big))
				}
			}
			return nil
		}
	}
	// The held-out web workload: a large file (sendfile, bigger
	// buffers), concurrent clients, a miss, a subdirectory.
	webHeld := func(addr string) error {
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- get("/big.bin", "/sub/a.txt", "!/nosuch", "/index.html")(addr) }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				return err
			}
		}
		return nil
	}
	injected := func(addr string) error {
		resp, err := http.Get("http://" + addr + "/exec?cmd=id")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return fmt.Errorf("%s", b)
	}
	db := filepath.Join(dir, "held.db")
	gitdir := filepath.Join(dir, "git")
	gitEnv := "export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@b HOME=" + dir + "; "
	programs := []accProgram{
		{
			name:   "redis-server (key-value store)",
			server: true,
			argv: func(dir string, port int) []string {
				return []string{"/usr/bin/redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no", "--daemonize", "no", "--logfile", ""}
			},
			train: []step{{client: redis("PING", "SET a 1", "GET a")}},
			held: []step{
				// Data growth, other commands, a synchronous save.
				{client: redisGrow(2000, 4096)},
				// A restart on the saved state.
				{client: redis("DBSIZE", "GET k1999", "HGETALL h", "LRANGE l 0 -1", "DEL k1", "FLUSHALL")},
			},
			attack: step{env: preload},
		},
		{
			name:   "lighttpd (web server)",
			server: true,
			argv: func(dir string, port int) []string {
				conf := fmt.Sprintf("server.document-root = %q\nserver.port = %d\nserver.bind = \"127.0.0.1\"\nindex-file.names = (\"index.html\")\nmimetype.assign = (\".html\" => \"text/html\", \".bin\" => \"application/octet-stream\", \".txt\" => \"text/plain\")\n", www, port)
				must(t, os.WriteFile(lconf, []byte(conf), 0o644))
				return []string{"/usr/sbin/lighttpd", "-D", "-f", lconf}
			},
			train:  []step{{client: get("/index.html")}},
			held:   []step{{client: webHeld}},
			attack: step{env: preload},
		},
		{
			name:   "python3 http.server (Python service)",
			server: true,
			argv: func(dir string, port int) []string {
				return []string{"/usr/bin/python3", pyservice, strconv.Itoa(port), www}
			},
			train:  []step{{client: get("/index.html")}},
			held:   []step{{client: webHeld}},
			attack: step{client: injected},
		},
		{
			name:   "goserver (Go service)",
			server: true,
			argv: func(dir string, port int) []string {
				return []string{goserver, "127.0.0.1:" + strconv.Itoa(port), www}
			},
			train:  []step{{client: get("/index.html")}},
			held:   []step{{client: webHeld}},
			attack: step{client: injected},
		},
		{
			name: "sqlite3 (SQL database)",
			train: []step{{argv: []string{"/usr/bin/sqlite3", filepath.Join(dir, "train.db"),
				"create table t(a, b); insert into t values(1, 'x'); select * from t;"}}},
			held: []step{
				// Growth (a megabyte of rows, an index), WAL.
				{argv: []string{"/usr/bin/sqlite3", db, "pragma journal_mode=wal; create table t(a integer primary key, b text); " +
					"with recursive c(x) as (select 1 union all select x+1 from c where x < 20000) insert into t select x, hex(randomblob(50)) from c; " +
					"create index tb on t(b); select count(*) from t;"}},
				// The existing database: reads, deletes, vacuum, a dump.
				{argv: []string{"/usr/bin/sqlite3", db, "select sum(length(b)) from t; delete from t where a % 2 = 0; vacuum; pragma integrity_check;"}},
				{argv: []string{"/usr/bin/sqlite3", db, ".dump t"}},
			},
			attack: step{argv: []string{"/usr/bin/sqlite3", db, ".shell id"}},
		},
		{
			name: "git (multi-process shell workload)",
			train: []step{{argv: []string{"/bin/sh", "-c", gitEnv + "git init -q " + filepath.Join(dir, "gtrain") + " && cd " + filepath.Join(dir, "gtrain") +
				" && echo a > f && git add f && git commit -qm one"}}},
			held: []step{
				{argv: []string{"/bin/sh", "-c", gitEnv + "rm -rf " + gitdir + "; git init -q " + gitdir + " && cd " + gitdir +
					" && echo a > f && git add f && git commit -qm one && git checkout -qb side && echo b > g && git add g && git commit -qm two" +
					" && git checkout -q master && git merge -q side && git log --oneline && git status --short && git gc -q"}},
				// The second time the repository exists: rm -rf of a tree.
				{argv: []string{"/bin/sh", "-c", gitEnv + "rm -rf " + gitdir + "; git init -q " + gitdir + " && cd " + gitdir +
					" && echo a > f && git add f && git commit -qm one && git log --oneline"}},
			},
			attack:    step{argv: []string{"/bin/sh", "-c", gitEnv + "cd " + gitdir + " && git -c alias.x='!id' x"}},
			analyze:   []string{"/usr/bin/git", "/usr/bin/rm"},
			execAllow: []string{"/usr/bin/git", "/usr/bin/rm", "/usr/lib/git-core/git"},
		},
	}
	type row struct {
		name                      string
		seen, static, fam, run    int
		allowed, dynamic, static2 int
		held, dynHeld, statHeld   string
		attack, statAttack        string
	}
	var rows []row
	for _, pr := range programs {
		t.Run(pr.name, func(t *testing.T) {
			if _, err := os.Stat(pr.argvOf(dir, 0)[0]); err != nil {
				t.Skipf("%v (apt-get install it)", err)
			}
			rec := pr.record(t, dir)
			var static []*analyze.Result
			for _, p := range append([]string{pr.argvOf(dir, 0)[0]}, pr.analyze...) {
				an, err := analyze.Analyze(p, analyze.Options{CacheDir: cacheDir})
				if err != nil {
					t.Fatal(err)
				}
				static = append(static, an)
			}
			fused, err := fusion.Fuse(rec, static, fusion.Options{Default: killProcess, Comment: pr.name})
			if err != nil {
				t.Fatal(err)
			}
			dynamic := rec.Profile(record.ProfileOptions{Default: killProcess})
			staticOnly := staticProfile(static, fused.Profile)
			r := row{name: pr.name, seen: fused.Count(fusion.Seen), static: fused.Count(fusion.Static), fam: fused.Count(fusion.Sibling),
				run: fused.Count(fusion.Runtime), allowed: len(fused.Allowed), dynamic: allowedNames(dynamic), static2: len(staticOnly.Rules[0].Names)}
			r.held = pr.held1(t, dir, fused.Profile)
			if r.held != "pass" {
				t.Errorf("held-out under the fused profile: %s", r.held)
			}
			r.dynHeld = pr.held1(t, dir, dynamic)
			r.statHeld = pr.held1(t, dir, staticOnly)
			r.attack = pr.attack1(t, dir, fused.Profile, attackOut)
			if !strings.HasPrefix(r.attack, "blocked") {
				t.Errorf("attack under the fused profile: %s", r.attack)
			}
			r.statAttack = pr.attack1(t, dir, staticOnly, attackOut)
			rows = append(rows, r)
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| program | fused: allowed (seen / static / family / runtime) | held-out | attack | allow-list of the calls seen: allowed, held-out | static only: allowed, held-out, attack |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d (%d / %d / %d / %d) | %s | %s | %d, %s | %d, %s, %s |\n", r.name, r.allowed, r.seen, r.static, r.fam, r.run, r.held, r.attack, r.dynamic, r.dynHeld, r.static2, r.statHeld, r.statAttack)
	}
	t.Log(b.String())
}

func (pr accProgram) argvOf(dir string, port int) []string {
	if pr.server {
		return pr.argv(dir, port)
	}
	return pr.train[0].argv
}

// record records the training workload, as record --static does.
func (pr accProgram) record(t *testing.T, dir string) *record.Recording {
	null, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer null.Close()
	ro := record.Options{Stdout: null, Stderr: null,
		Args: true, ENOSYS: []string{"clone3"}, Dir: dir}
	var rec *record.Recording
	for _, s := range pr.train {
		var res *record.Result
		var err error
		if pr.server {
			port := freePort(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				res, err = record.Run(ctx, pr.argv(dir, port), ro)
			}()
			addr := "127.0.0.1:" + strconv.Itoa(port)
			if werr := waitPort(addr, done); werr != nil {
				cancel()
				<-done
				t.Fatalf("training: %v (%v)", werr, err)
			}
			cerr := s.client(addr)
			cancel()
			<-done
			if cerr != nil {
				t.Fatalf("training client: %v", cerr)
			}
		} else {
			res, err = record.Run(context.Background(), s.argv, ro)
			if err == nil && res.ExitCode != 0 {
				t.Fatalf("training %v: exit %d", s.argv, res.ExitCode)
			}
		}
		if err != nil {
			t.Fatalf("training: %v", err)
		}
		if rec == nil {
			rec = res.Recording
		} else {
			rec.Merge(res.Recording)
		}
	}
	return rec
}

// run runs one step under p and says how it went.
func (pr accProgram) run(t *testing.T, dir string, p *profile.Profile, s step) accRun {
	// A file, not a pipe: a process the program left behind (what an
	// attack starts) cannot hold up Wait.
	out, err := os.CreateTemp(dir, "out")
	if err != nil {
		return accRun{err: err}
	}
	defer os.Remove(out.Name())
	defer out.Close()
	port := freePort(t)
	argv := s.argv
	if pr.server {
		argv = pr.argv(dir, port)
	}
	cmd := launch.Command(p, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	if s.env != nil {
		cmd.Env = append(os.Environ(), s.env...)
	}
	if pr.execAllow != nil {
		cmd.ExecOnce, cmd.ExecAllow = true, pr.execAllow
	}
	if err := cmd.Start(); err != nil {
		return accRun{err: err}
	}
	var cerr error
	if pr.server {
		addr := "127.0.0.1:" + strconv.Itoa(port)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for cmd.Process != nil {
				if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		if cerr = waitPort(addr, done); cerr == nil && s.client != nil {
			cerr = s.client(addr)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	werr := cmd.Wait()
	if pr.server {
		// How a server ends on SIGTERM is its own (lighttpd exits 1
		// when stopped within its first seconds); seccomp kills are
		// told by Status.
		werr = nil
	}
	if cerr == nil {
		cerr = werr
	}
	b, _ := os.ReadFile(out.Name())
	return accRun{out: string(b), status: cmd.Status, err: cerr}
}

// held1 runs the held-out steps under p: "pass", or what went wrong.
func (pr accProgram) held1(t *testing.T, dir string, p *profile.Profile) string {
	for i, s := range pr.held {
		r := pr.run(t, dir, p, s)
		switch {
		case r.status.Seccomp || len(r.status.Events) > 0:
			what := "a seccomp kill"
			if r.status.Violation != nil {
				what = r.status.Violation.Name
			} else if len(r.status.Events) > 0 {
				what = r.status.Events[0].Name
			}
			return fmt.Sprintf("killed (step %d: %s)", i+1, what)
		case r.err != nil:
			t.Logf("step %d: %v; output:\n%.3000s", i+1, r.err, r.out)
			return fmt.Sprintf("failed (step %d: %v)", i+1, r.err)
		}
	}
	return "pass"
}

// attack1 runs the attack under p: "blocked (how)" or "ran".
func (pr accProgram) attack1(t *testing.T, dir string, p *profile.Profile, attackOut string) string {
	os.Remove(attackOut)
	r := pr.run(t, dir, p, pr.attack)
	b, _ := os.ReadFile(attackOut)
	if strings.Contains(r.out, "uid=") || strings.Contains(string(b), "uid=") || (r.err != nil && strings.Contains(r.err.Error(), "uid=")) {
		return "ran"
	}
	for _, ev := range r.status.Events {
		if ev.Policy != "" {
			return "blocked (" + ev.Policy + ": " + ev.Path + ")"
		}
	}
	if r.status.Violation != nil {
		return "blocked (killed at " + r.status.Violation.Name + ")"
	}
	if r.status.Seccomp {
		return "blocked (a seccomp kill)"
	}
	return "blocked (no id output)"
}

// staticProfile allows every call the analysis found, and execve (the
// launch), with KILL_PROCESS for the rest.
func staticProfile(static []*analyze.Result, fused *profile.Profile) *profile.Profile {
	names := map[string]bool{"execve": true}
	for _, r := range static {
		for _, c := range r.Calls {
			names[c.Name] = true
		}
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sortStrings(list)
	return &profile.Profile{Default: killProcess, Arches: fused.Arches, Rules: []profile.Rule{{Names: list, Action: profile.Action{Kind: profile.ActAllow}}}}
}

// allowedNames counts the system calls p allows with some arguments.
func allowedNames(p *profile.Profile) int {
	names := map[string]bool{}
	for _, r := range p.Rules {
		if r.Action.Kind == profile.ActAllow {
			for _, n := range r.Names {
				names[n] = true
			}
		}
	}
	return len(names)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitPort waits until addr accepts, or done is closed (the server
// ended), or 20 seconds.
func waitPort(addr string, done <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("the server ended before it listened on %s", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("nothing listens on %s", addr)
}

// redis sends commands (words split on spaces) and checks none fails.
func redis(cmds ...string) func(string) error {
	return func(addr string) error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		rd := bufio.NewReader(c)
		for _, cmd := range cmds {
			if err := redisDo(c, rd, strings.Fields(cmd)...); err != nil {
				return fmt.Errorf("%s: %w", cmd, err)
			}
		}
		return nil
	}
}

// redisGrow writes n keys of size bytes, a hash and a list, and saves.
func redisGrow(n, size int) func(string) error {
	return func(addr string) error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		rd := bufio.NewReader(c)
		val := strings.Repeat("v", size)
		for i := range n {
			if err := redisDo(c, rd, "SET", "k"+strconv.Itoa(i), val); err != nil {
				return err
			}
		}
		for _, cmd := range [][]string{{"HSET", "h", "f", "1", "g", "2"}, {"RPUSH", "l", "a", "b", "c"}, {"INCR", "n"}, {"MGET", "k1", "k2", "k3"}, {"SAVE"}} {
			if err := redisDo(c, rd, cmd...); err != nil {
				return fmt.Errorf("%v: %w", cmd, err)
			}
		}
		return nil
	}
}

// redisDo sends one command in RESP and reads its reply.
func redisDo(w io.Writer, rd *bufio.Reader, args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return redisReply(rd)
}

func redisReply(rd *bufio.Reader) error {
	line, err := rd.ReadString('\n')
	if err != nil {
		return err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '-':
		return fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n >= 0 {
			_, err = io.CopyN(io.Discard, rd, int64(n)+2)
		}
		return err
	case '*':
		n, _ := strconv.Atoi(line[1:])
		for range n {
			if err := redisReply(rd); err != nil {
				return err
			}
		}
	}
	return nil
}
