package fusion_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

const x = arch.X86_64

func nr(t *testing.T, name string) uint32 {
	t.Helper()
	n, ok := x.SyscallNumber(name)
	if !ok {
		t.Fatalf("no %s on %s", name, x)
	}
	return n
}

// recording returns a recording of calls; "name:v" records the call with
// its first checked argument v (and 0 for a second one).
func recording(t *testing.T, calls ...string) *record.Recording {
	r := record.New(x)
	for _, c := range calls {
		name, v, ok := strings.Cut(c, ":")
		if !ok {
			r.Add(x, nr(t, name), nil, false)
			continue
		}
		var args [6]uint64
		switch v {
		case "thread":
			args[0] = 0x3d0f00 // glibc's pthread_create flags
		case "fork":
			args[0] = 0x1200011 // CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD
		case "inet":
			args[0] = 2
		case "tcgets":
			args[1] = 0x5401
		}
		r.Add(x, nr(t, name), &args, true)
	}
	return r
}

func static(names ...string) []*analyze.Result {
	r := &analyze.Result{}
	for _, n := range names {
		num, _ := x.SyscallNumber(n)
		r.Calls = append(r.Calls, analyze.Call{Arch: x, Name: n, Nr: num, From: "libc.so.6:f_" + n})
	}
	return []*analyze.Result{r}
}

// verdict is what p does with name and its first two arguments.
func verdict(t *testing.T, p *profile.Profile, name string, a0, a1 uint64) profile.Action {
	t.Helper()
	act, err := profile.Evaluate(p, x, profile.Data{Nr: nr(t, name), Arch: x.Audit(), Args: [6]uint64{a0, a1}})
	if err != nil {
		t.Fatal(err)
	}
	return act
}

func TestFuse(t *testing.T) {
	kill := profile.Action{Kind: profile.ActKillProcess}
	allow := profile.Action{Kind: profile.ActAllow}
	enosys := profile.Action{Kind: profile.ActErrno, Data: 38}
	type check struct {
		name   string
		a0, a1 uint64
		want   profile.Action
	}
	for _, tc := range []struct {
		name   string
		rec    []string
		static []string
		o      fusion.Options
		checks []check
		// reasons: call -> class and a piece of its reason.
		reasons map[string][2]string
	}{
		{
			name:   "seen, static, family, runtime",
			rec:    []string{"execve", "write", "read", "mmap"},
			static: []string{"read", "getpid", "mremap"},
			checks: []check{
				{"write", 1, 0, allow}, {"getpid", 0, 0, allow}, {"pwrite64", 0, 0, allow},
				{"mremap", 0, 0, allow}, {"restart_syscall", 0, 0, allow}, {"uname", 0, 0, kill},
			},
			reasons: map[string][2]string{
				"write": {fusion.Seen, "seen once"}, "execve": {fusion.Seen, "the launcher's exec"},
				"getpid":   {fusion.Static, "reachable from libc.so.6:f_getpid"},
				"pwrite64": {fusion.Sibling, "family of write"}, "rt_sigreturn": {fusion.Runtime, "signal handler"},
			},
		},
		{
			name:   "high-risk calls only as seen",
			rec:    []string{"execve", "read"},
			static: []string{"ptrace", "mount", "bpf", "io_uring_setup", "unshare", "vfork", "clone3", "execveat"},
			checks: []check{
				{"ptrace", 0, 0, kill}, {"mount", 0, 0, kill}, {"bpf", 0, 0, kill}, {"io_uring_setup", 0, 0, kill},
				{"unshare", 0, 0, kill}, {"vfork", 0, 0, kill}, {"execveat", 0, 0, kill},
				{"clone3", 0, 0, enosys}, {"execve", 0, 0, allow},
			},
		},
		{
			name:   "seen high-risk call allowed",
			rec:    []string{"ptrace"},
			checks: []check{{"ptrace", 7, 0, allow}},
		},
		{
			name:   "clone: threads where reachable, other flags as seen",
			rec:    []string{"clone:fork"},
			static: []string{"clone"},
			checks: []check{
				{"clone", 0x3d0f00, 0, allow}, {"clone", 0x1200011, 0, allow},
				{"clone", 0x4111, 0, kill}, // CLONE_VM|CLONE_VFORK|SIGCHLD: posix_spawn
			},
			reasons: map[string][2]string{"clone": {fusion.Seen, "the values seen"}},
		},
		{
			name:   "clone reachable only: threads",
			static: []string{"clone"},
			rec:    []string{"read"},
			checks: []check{{"clone", 0x3d0f00, 0, allow}, {"clone", 0x1200011, 0, kill}},
		},
		{
			name:   "socket families",
			rec:    []string{"socket:inet"},
			static: []string{"socket"},
			// The family is an int: the kernel reads its low 32 bits,
			// and so do the rules.
			checks: []check{{"socket", 2, 1, allow}, {"socket", 1, 1, allow}, {"socket", 16, 3, kill}, {"socket", 17, 3, kill},
				{"socket", 0xffffffff00000002, 1, allow}, {"socket", 0x100000001, 1, allow}, {"socket", 0x100000010, 1, kill}},
		},
		{
			name:   "risk override",
			rec:    []string{"read"},
			static: []string{"ptrace", "getpid", "clone"},
			o:      fusion.Options{Risk: map[string]bool{"debug": false, "getpid": true, "process": false}},
			checks: []check{{"ptrace", 0, 0, allow}, {"getpid", 0, 0, kill}, {"clone", 0x1200011, 0, allow}},
		},
		{
			name:   "--args keeps the values of low-risk calls seen",
			rec:    []string{"ioctl:tcgets"},
			static: []string{"ioctl"},
			o:      fusion.Options{Args: true},
			checks: []check{{"ioctl", 0, 0x5401, allow}, {"ioctl", 0, 0x5413, kill}},
		},
		{
			name:   "without --args the code reaching a call widens it",
			rec:    []string{"ioctl:tcgets"},
			static: []string{"ioctl"},
			checks: []check{{"ioctl", 0, 0x5413, allow}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Default = kill
			var st []*analyze.Result
			if tc.static != nil {
				st = static(tc.static...)
			}
			r, err := fusion.Fuse(recording(t, tc.rec...), st, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.checks {
				if got := verdict(t, r.Profile, c.name, c.a0, c.a1); got != c.want {
					t.Errorf("%s(%#x, %#x) = %v, want %v", c.name, c.a0, c.a1, got, c.want)
				}
			}
			for name, want := range tc.reasons {
				i := slices.IndexFunc(r.Allowed, func(a fusion.Reason) bool { return a.Name == name })
				if i < 0 {
					t.Errorf("%s has no reason", name)
					continue
				}
				if got := r.Allowed[i]; got.Class != want[0] || !strings.Contains(got.Why, want[1]) {
					t.Errorf("reason of %s = %+v, want class %s and %q", name, got, want[0], want[1])
				}
			}
			// Every rule says why; the unconditional rules are one per
			// reason class, names sorted, each name in one of them.
			seenNames := map[string]bool{}
			for i, rule := range r.Profile.Rules {
				if rule.Comment == "" {
					t.Errorf("rule %d %v has no comment", i, rule.Names)
				}
				if !slices.IsSorted(rule.Names) {
					t.Errorf("rule %d names not sorted: %v", i, rule.Names)
				}
				if len(rule.Conds) == 0 {
					for _, n := range rule.Names {
						if seenNames[n] {
							t.Errorf("%s in two unconditional rules", n)
						}
						seenNames[n] = true
					}
				}
			}
		})
	}
}

// TestFuseComments pins the comments a fused profile carries, the
// provenance a reader of the profile sees.
func TestFuseComments(t *testing.T) {
	r, err := fusion.Fuse(recording(t, "execve", "write", "write", "clone:fork"), static("mremap", "clone", "ptrace"), fusion.Options{Comment: "recorded by syscage: app"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rule := range r.Profile.Rules {
		got = append(got, strings.Join(rule.Names, ",")+": "+rule.Comment)
	}
	want := []string{
		"execve,write: recorded by syscage: app; seen in the recording: execve once: the launcher's exec of the program, write 2 times",
		"clone: clone: seen once, with arg0 == 0x1200011 as seen",
		"mremap: reachable in the code, low-risk, not seen: mremap (libc.so.6:f_mremap)",
		"clone: clone: reachable from libc.so.6:f_clone: thread creation only (CLONE_THREAD); other flags only as seen",
		"pwrite64,pwritev,pwritev2,writev: siblings of calls seen: writev (of write), pwrite64 (of write), pwritev (of write), pwritev2 (of write); write: stdio and buffered writers pick writev for split buffers and pwrite at a position",
		"exit,exit_group,restart_syscall,rt_sigreturn: runtime needs: restart_syscall (the kernel restarts a sleep interrupted by a signal with it), rt_sigreturn (the return from every signal handler), exit (every thread and process ends with one), exit_group (every thread and process ends with one)",
		"clone3,close_range,faccessat2,fchmodat2,openat2,statx: not allowed; ENOSYS so that glibc, Go, systemd and runc fall back to the older calls",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(r.Withheld) != 1 || r.Withheld[0].Name != "ptrace" {
		t.Errorf("withheld %+v, want ptrace", r.Withheld)
	}
}

func TestParseRisk(t *testing.T) {
	for _, tc := range []struct {
		in   string
		name string
		high bool
		bad  string
	}{
		{in: "ptrace=low", name: "ptrace"},
		{in: "exec=HIGH", name: "exec", high: true},
		{in: "getpid=high", name: "getpid", high: true},
		{in: "ptrace", bad: "want NAME=high or NAME=low"},
		{in: "ptrace=maybe", bad: `not "maybe"`},
		{in: "nosuch=low", bad: `"nosuch" is no system call of x86_64 and no class`},
	} {
		name, high, err := fusion.ParseRisk(tc.in, x)
		if tc.bad != "" {
			if err == nil || !errors.Is(err, fusion.ErrRisk) || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("ParseRisk(%q) = %v, want an error with %q", tc.in, err, tc.bad)
			}
			continue
		}
		if err != nil || name != tc.name || high != tc.high {
			t.Errorf("ParseRisk(%q) = %q, %v, %v; want %q, %v", tc.in, name, high, err, tc.name, tc.high)
		}
	}
}

// TestDenials: the calls of a recording a profile would not let through,
// by their argument values where the profile checks them.
func TestDenials(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActKillProcess}, Rules: []profile.Rule{
		{Names: []string{"read", "execve"}, Action: profile.Action{Kind: profile.ActAllow}},
		{Names: []string{"clone"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpMaskedEQ, Value: 0x10000, ValueTwo: 0x10000}}},
		{Names: []string{"uname"}, Action: profile.Action{Kind: profile.ActLog}},
		{Names: []string{"getpid"}, Action: profile.Action{Kind: profile.ActErrno, Data: 1}},
	}}
	rec := recording(t, "read", "execve", "clone:thread", "clone:fork", "uname", "getpid", "write")
	rec.Add(x, nr(t, "clone"), nil, false) // arguments not kept: many values
	ds, err := fusion.Denials(p, recording(t, "read", "execve", "clone:thread", "clone:fork", "uname", "getpid", "write"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	want := []string{
		"x86_64 clone(arg0=0x1200011): KILL_PROCESS (the default)",
		"x86_64 getpid: ERRNO(1) (rule 4)",
		"x86_64 write: KILL_PROCESS (the default)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Denials:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ds, err = fusion.Denials(p, rec)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(ds, func(d fusion.Denial) bool { return d.Name == "clone" }); i < 0 || !ds[i].Unsure {
		t.Errorf("clone with arguments not kept: %v, want it reported as unsure", ds)
	}
	if got := fusion.FallbackNames(&profile.Profile{Rules: []profile.Rule{{Names: []string{"statx", "clone3"}, Action: profile.Action{Kind: profile.ActErrno, Data: 38}}}}); !slices.Equal(got, []string{"clone3", "statx"}) {
		t.Errorf("FallbackNames = %v", got)
	}
}

func TestWriteText(t *testing.T) {
	denied := []fusion.Denial{
		{Arch: arch.X86_64, Name: "write", Action: profile.Action{Kind: profile.ActKillProcess}, Rule: profile.DecidedByDefault},
		{Arch: arch.X86_64, Name: "getpid", Action: profile.Action{Kind: profile.ActErrno, Data: 1}, Rule: 3},
	}
	var b strings.Builder
	fusion.WriteText(&b, []fusion.Workload{
		{Argv: []string{"ls", "-l"}},
		{Argv: []string{"sort"}, Exit: 2, Denied: denied},
		{Argv: []string{"true"}, Exit: -1},
	}, "p: ")
	want := "p: workload 1 (ls -l): no call would have been denied\n" +
		"p: workload 2 (sort): 2 call(s) would have been denied (it exited with status 2):\n" +
		"  x86_64 write: KILL_PROCESS (the default)\n" +
		"  x86_64 getpid: ERRNO(1) (rule 4)\n" +
		"p: workload 3 (true): no call would have been denied (it exited with status -1)\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
}
