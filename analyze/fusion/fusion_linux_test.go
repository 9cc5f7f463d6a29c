package fusion_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// The test binary is re-executed as the recorder's helper and as the
// launcher's stage.
func init() {
	testenv.ProgramByArg(record.HelperCommand, func() {
		err := record.ExecHelper(os.Args[1:])
		fmt.Fprintln(os.Stderr, "record helper:", err)
		os.Exit(record.HelperExitCode(err))
	})
}

func TestMain(m *testing.M) {
	launch.Init()
	testenv.Main(m)
}

var killProcess = profile.Action{Kind: profile.ActKillProcess}

// train records argv as record --static does (argument values learned,
// clone3 answered with ENOSYS) and returns the fused profile and the
// recording's own (dynamic-only) profile, both with KILL_PROCESS as the
// default.
func train(t *testing.T, argv []string, extra ...string) (fused *fusion.Result, dynamic *profile.Profile) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("the analysis reads x86_64 code")
	}
	null, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer null.Close()
	res, err := record.Run(context.Background(), argv, record.Options{
		Stdout: null, Stderr: null,
		Args: true, ENOSYS: []string{"clone3"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("training %v: exit %d", argv, res.ExitCode)
	}
	var static []*analyze.Result
	for _, p := range append([]string{argv[0]}, extra...) {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatal(err)
		}
		an, err := analyze.Analyze(path, analyze.Options{CacheDir: cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		static = append(static, an)
	}
	fused, err = fusion.Fuse(res.Recording, static, fusion.Options{Default: killProcess, Comment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return fused, res.Recording.Profile(record.ProfileOptions{Default: killProcess})
}

var cacheDir = filepath.Join(os.TempDir(), "syscage-fusion-test-cache")

// enforce runs argv under p in the real kernel and returns its output and
// how it ended.
func enforce(t *testing.T, p *profile.Profile, execOnce bool, argv ...string) (string, launch.Status) {
	t.Helper()
	var out bytes.Buffer
	cmd := launch.Command(p, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.ExecOnce = execOnce
	_ = cmd.Run()
	return out.String(), cmd.Status
}

func killed(st launch.Status) bool { return !st.Exited && st.Seccomp }

// TestHeldOut records real programs under a short training workload and
// runs a different workload of the same program under KILL_PROCESS: the
// fused profile lets it finish, the recording's own profile kills it
// (which is what the fusion is for).
func TestHeldOut(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.txt")
	big := filepath.Join(dir, "big.txt")
	var b strings.Builder
	for i := range 300000 {
		fmt.Fprintf(&b, "%d\n", (i*7919)%300007)
	}
	if err := os.WriteFile(big, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(small, []byte("3\n1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	victim := buildVictim(t)
	for _, tc := range []struct {
		name         string
		train, held  []string
		wantInOutput string
	}{
		// sort sorts a big file with threads (clone3, then clone with
		// CLONE_THREAD, rt_sigprocmask, madvise), a small one without.
		{"sort", []string{"/usr/bin/sort", "-n", small}, []string{"/usr/bin/sort", "-n", "--parallel=2", "-S", "4M", big}, "299999"},
		// ls -lR reads owners (nscd's AF_UNIX socket), attributes
		// (lgetxattr) and walks directories.
		{"ls", []string{"/bin/ls", dir}, []string{"/bin/ls", "-lR", "/usr/share/doc/coreutils", "/etc/ssl"}, "copyright"},
		{"victim", []string{victim, "work", small}, []string{victim, "thread", big}, "300000 lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fused, dynamic := train(t, tc.train)
			out, st := enforce(t, fused.Profile, false, tc.held...)
			if !st.Exited || st.Code != 0 || !strings.Contains(out, tc.wantInOutput) {
				t.Errorf("held-out %v under the fused profile: %+v (violation %v)\n%.2000s", tc.held, st, st.Violation, out)
			}
			_, st = enforce(t, dynamic, false, tc.held...)
			if !killed(st) {
				t.Errorf("held-out %v under the recording's own profile: %+v; want a seccomp kill (else the test shows nothing)", tc.held, st)
			}
			t.Logf("allowed %d: seen %d, static %d, family %d, runtime %d; withheld %d",
				len(fused.Allowed), fused.Count(fusion.Seen), fused.Count(fusion.Static), fused.Count(fusion.Sibling), fused.Count(fusion.Runtime), len(fused.Withheld))
		})
	}
}

// TestAttacksBlocked trains a program whose code reaches system(),
// execve and ptrace on a workload that uses none of them: under the fused
// profile the shell it would spawn and ptrace are killed by the kernel,
// though the analysis finds them reachable; execve itself stays allowed
// for the launch, so run's exec-once refuses a later one.
func TestAttacksBlocked(t *testing.T) {
	victim := buildVictim(t)
	fused, _ := train(t, []string{victim, "work", "/etc/passwd"})
	withheld := map[string]bool{}
	for _, w := range fused.Withheld {
		withheld[w.Name] = true
	}
	for _, name := range []string{"ptrace", "clone"} {
		if !withheld[name] {
			t.Errorf("%s is not among the withheld high-risk calls %v", name, fused.Withheld)
		}
	}
	for _, mode := range []string{"shell", "ptrace"} {
		out, st := enforce(t, fused.Profile, false, victim, mode, "/etc/passwd")
		if !killed(st) || strings.Contains(out, "uid=") {
			t.Errorf("%s: %+v, output %q; want a seccomp kill and no id output", mode, st, out)
		} else {
			t.Logf("%s: %v", mode, st.Violation)
		}
	}
	out, st := enforce(t, fused.Profile, true, victim, "exec", "/etc/passwd")
	if st.Code == 0 || strings.Contains(out, "uid=") {
		t.Errorf("exec under exec-once: %+v, output %q; want it refused", st, out)
	}
}

// buildVictim compiles testdata/victim.c.
func buildVictim(t *testing.T) string {
	t.Helper()
	gcc := testenv.Tool(t, "gcc", "gcc")
	out := filepath.Join(t.TempDir(), "victim")
	if b, err := exec.Command(gcc, "-O2", "-o", out, "testdata/victim.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	return out
}

// TestCheck runs two real workloads under the recorder and says what a
// profile that denies everything (uname by a rule of its own) would have
// denied each: uname(1)'s call by that rule, and no uname of a shell
// that only exits. Nothing is denied while they run: both end as they
// would unconfined.
func TestCheck(t *testing.T) {
	native, ok := arch.Native()
	if !ok {
		t.Skip("no native ABI")
	}
	null, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer null.Close()
	eperm := profile.Action{Kind: profile.ActErrno, Data: 1}
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 13}, Rules: []profile.Rule{{Names: []string{"uname"}, Action: eperm}}}
	ws, err := fusion.Check(context.Background(), p, native, [][]string{{"uname"}, {"sh", "-c", "exit 3"}},
		record.Options{Stdout: null, Stderr: null})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("Check returned %d workloads, want 2", len(ws))
	}
	byRule := 0
	for _, d := range ws[0].Denied {
		if d.Name == "uname" && d.Action == eperm && d.Rule == 0 {
			byRule++
		} else if d.Rule != profile.DecidedByDefault {
			t.Errorf("uname: %v", d)
		}
	}
	if byRule != 1 {
		t.Errorf("uname: denied %v, want uname once by rule 1", ws[0].Denied)
	}
	if len(ws[1].Denied) == 0 {
		t.Error("sh -c 'exit 3': nothing denied under a profile that allows nothing")
	}
	for _, d := range ws[1].Denied {
		if d.Name == "uname" || d.Rule != profile.DecidedByDefault {
			t.Errorf("sh -c 'exit 3': denied %v", d)
		}
	}
	if ws[0].Exit != 0 || ws[1].Exit != 3 {
		t.Errorf("exits %d and %d, want 0 and 3", ws[0].Exit, ws[1].Exit)
	}
	b, err := json.Marshal(ws[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"workload":"sh -c exit 3","exit":3,"denied":[`) {
		t.Errorf("JSON = %s", b)
	}
	if _, err := fusion.Check(context.Background(), p, native, [][]string{{"/nonexistent/program"}}, record.Options{Stdout: null, Stderr: null}); err == nil || !strings.HasPrefix(err.Error(), "workload 1 (/nonexistent/program): ") {
		t.Errorf("a workload that cannot run: err = %v", err)
	}
}
