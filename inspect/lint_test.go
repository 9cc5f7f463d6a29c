package inspect_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

// seeded returns testdata/lint/clean.json changed by edit.
func seeded(t *testing.T, edit func(m map[string]any)) *profile.Profile {
	t.Helper()
	b, err := os.ReadFile("testdata/lint/clean.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	p, err := oci.Parse("seeded.json", b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func addRule(m map[string]any, r string) {
	var v any
	if err := json.Unmarshal([]byte(r), &v); err != nil {
		panic(err)
	}
	m["syscalls"] = append(m["syscalls"].([]any), v)
}

// TestLint: each problem seeded into a clean profile is flagged by its
// check, and by no other; the clean profile gets no finding.
func TestLint(t *testing.T) {
	host := arch.X86_64
	tested := map[string]bool{"default-allow": true} // tested below the table
	defer func() {
		// Every check is documented (LintChecks), and tested here.
		for _, c := range inspect.LintChecks {
			if !tested[c.Name] {
				t.Errorf("check %s documented, not tested", c.Name)
			}
			delete(tested, c.Name)
		}
		for c := range tested {
			t.Errorf("check %s not documented in LintChecks", c)
		}
	}()
	for _, tc := range []struct {
		name  string
		edit  func(m map[string]any)
		check string   // the check that must fire ("" for none), alone unless also says otherwise
		names []string // the system calls it must name
	}{
		{"clean", nil, "", nil},
		{"bpf allowed", func(m map[string]any) { addRule(m, `{"names": ["bpf"], "action": "SCMP_ACT_ALLOW"}`) }, "dangerous-syscall", []string{"bpf"}},
		{"io_uring allowed", func(m map[string]any) {
			addRule(m, `{"names": ["io_uring_setup", "io_uring_enter"], "action": "SCMP_ACT_ALLOW"}`)
		}, "dangerous-syscall", []string{"io_uring_setup", "io_uring_enter"}},
		{"ptrace for some arguments", func(m map[string]any) {
			addRule(m, `{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}]}`)
		}, "dangerous-syscall", []string{"ptrace"}},
		{"clone3 EPERM", func(m map[string]any) {
			m["syscalls"].([]any)[1].(map[string]any)["errnoRet"] = 13
		}, "errno-not-enosys", []string{"clone3"}},
		{"openat2 by the default", func(m map[string]any) {
			r := m["syscalls"].([]any)[0].(map[string]any)
			r["names"] = slices.DeleteFunc(r["names"].([]any), func(n any) bool { return n == "openat2" })
		}, "errno-not-enosys", []string{"openat2"}},
		{"a name no architecture has", func(m map[string]any) { addRule(m, `{"names": ["get_pid"], "action": "SCMP_ACT_LOG"}`) }, "unknown-name", []string{"get_pid"}},
		{"x86_64 only", func(m map[string]any) { m["architectures"] = []string{"SCMP_ARCH_X86_64"} }, "compat-not-covered", nil},
		{"read twice", func(m map[string]any) { addRule(m, `{"names": ["read", "pread64"], "action": "SCMP_ACT_LOG"}`) }, "shadowed", []string{"read"}},
		{"a rule with the default action", func(m map[string]any) { addRule(m, `{"names": ["acct"], "action": "SCMP_ACT_ERRNO"}`) }, "no-effect", []string{"acct"}},
		{"socket family compared on 64 bits", func(m map[string]any) {
			addRule(m, `{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}]}`)
		}, "int-high-bits+multiplexer", []string{"socket", "socketcall"}},
		{"personality denied on 64 bits", func(m map[string]any) {
			addRule(m, `{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22, "args": [{"index": 0, "value": 4194304, "op": "SCMP_CMP_EQ"}]}`)
		}, "int-high-bits", []string{"personality"}},
		{"socket through socketcall", func(m map[string]any) {
			addRule(m, `{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}`)
		}, "multiplexer", []string{"socketcall", "socket"}},
		{"semop through ipc", func(m map[string]any) {
			addRule(m, `{"names": ["ipc"], "action": "SCMP_ACT_ALLOW"}`)
			addRule(m, `{"names": ["semop"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}`)
		}, "multiplexer", []string{"ipc", "semop"}},
		{"setuid32 allowed", func(m map[string]any) {
			addRule(m, `{"names": ["setuid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}`)
			addRule(m, `{"names": ["setuid32"], "action": "SCMP_ACT_ALLOW"}`)
		}, "twin", []string{"setuid", "setuid32"}},
		// The unconditional allow also makes the conditional ones dead.
		{"mprotect without W^X", func(m map[string]any) { addRule(m, `{"names": ["mprotect"], "action": "SCMP_ACT_ALLOW"}`) }, "write-execute+shadowed", []string{"mprotect"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := inspect.Lint(seeded(t, tc.edit), host, inspect.LintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var checks []string
			var names []string
			for _, f := range fs {
				checks = append(checks, f.Check)
				names = append(names, f.Names...)
				if f.Message == "" || f.Fix == "" || f.Severity == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
			slices.Sort(checks)
			checks = slices.Compact(checks)
			if tc.check == "" {
				if len(fs) != 0 {
					t.Fatalf("findings on the clean profile: %+v", fs)
				}
				return
			}
			want := strings.Split(tc.check, "+")
			slices.Sort(want)
			for _, c := range want {
				tested[c] = true
			}
			if !slices.Equal(checks, want) {
				t.Fatalf("checks %v, want only %s: %+v", checks, tc.check, fs)
			}
			for _, n := range tc.names {
				if !slices.Contains(names, n) {
					t.Errorf("%s not named: %+v", n, fs)
				}
			}
		})
	}

	// A default that allows is flagged with the dangerous calls it leaves
	// open.
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}, Arches: []arch.Arch{arch.X86_64, arch.X86, arch.X32},
		Rules: []profile.Rule{{Names: []string{"reboot"}, Action: profile.Action{Kind: profile.ActErrno, Data: 1}}}}
	fs, err := inspect.Lint(p, host, inspect.LintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 || fs[0].Check != "default-allow" || fs[0].Severity != inspect.High || !slices.Contains(fs[0].Names, "bpf") || slices.Contains(fs[0].Names, "reboot") {
		t.Errorf("default allow: %+v", fs)
	}
}

// TestLintStack: a filter that tests only the number is bypassed through
// x86 and x32; docker-default as syscage compiles it is not.
func TestLintStack(t *testing.T) {
	host := arch.X86_64
	naive := inspect.Stack{bpf.Program{
		{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: seccomp.OffsetNr},
		{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: 101, Jf: 1}, // ptrace on x86_64
		{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_ERRNO | 1},
		{Op: bpf.BPF_RET | bpf.BPF_K, K: seccomp.SECCOMP_RET_ALLOW},
	}}
	fs, err := inspect.LintStack(naive, host)
	if err != nil {
		t.Fatal(err)
	}
	if len(inspect.LintStackChecks) != 1 || inspect.LintStackChecks[0].Name != "compat-bypass" {
		t.Errorf("LintStack's checks are documented as %+v", inspect.LintStackChecks)
	}
	if len(fs) != 2 || fs[0].Check != "compat-bypass" || !slices.Equal(fs[0].Names, []string{"ptrace"}) || !slices.Equal(fs[1].Names, []string{"ptrace"}) ||
		!strings.Contains(fs[0].Message, "through x86") || !strings.Contains(fs[1].Message, "through x32") {
		t.Errorf("naive filter: %+v", fs)
	}
	fs, err = inspect.LintStack(compile(t, proftest.DockerDefault(host), host, seccomp.Options{}), host)
	if err != nil || len(fs) != 0 {
		t.Errorf("docker-default: %+v, %v", fs, err)
	}
}

func TestLintChecksText(t *testing.T) {
	got := inspect.LintChecksText([]inspect.LintCheck{{Name: "a", Doc: []string{"one line"}}, {Name: "compat-not-covered", Doc: []string{"first", "second"}}})
	want := "  a                   one line\n  compat-not-covered  first\n                      second\n"
	if got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
}
