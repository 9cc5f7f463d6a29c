package auditlog_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/auditlog"
)

func logEvent(a arch.Arch, name string) audit.Event {
	nr, ok := a.SyscallNumber(name)
	if !ok {
		panic(name)
	}
	return audit.Event{Arch: a, AuditArch: a.Audit(), Nr: nr, Syscall: name}
}

// want is what a patch must report for one logged call.
type want struct {
	arch   arch.Arch
	name   string
	added  bool
	guards []int    // 0-based
	wider  []int    // 0-based
	beyond []string // Beyond.String()
}

// TestMakePatchCases are the shapes of profile that complain patches
// widened: each patch is checked as TestPatchNeverWidens checks them,
// and reports what it must.
func TestMakePatchCases(t *testing.T) {
	docker, err := oci.Format(proftest.DockerDefault(arch.X86_64))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		events     []audit.Event
		patched    bool
		want       []want
	}{
		{
			name: "default allow: a guard decided the call",
			text: `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
				{"names": ["personality"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`,
			events: []audit.Event{logEvent(arch.X86_64, "personality")},
			want:   []want{{arch: arch.X86_64, name: "personality", guards: []int{0}}},
		},
		{
			name: "default deny: guards and an allow of other calls",
			text: `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
				{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
				{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
				{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 1, "value": 5, "op": "SCMP_CMP_GT"}]}]}`,
			events: []audit.Event{logEvent(arch.X86_64, "uname")},
			want:   []want{{arch: arch.X86_64, name: "uname", guards: []int{1, 2}}},
		},
		{
			name: "default deny: an allow with conditions",
			text: `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
				{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]}`,
			events:  []audit.Event{logEvent(arch.X86_64, "clone")},
			patched: true,
			want:    []want{{arch: arch.X86_64, name: "clone", added: true, wider: []int{0}}},
		},
		{
			name: "default allow: a rule of several names, and one it hid",
			text: `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
				{"names": ["uname", "getppid"], "action": "SCMP_ACT_KILL_PROCESS"},
				{"names": ["uname"], "action": "SCMP_ACT_ERRNO"},
				{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`,
			events:  []audit.Event{logEvent(arch.X86_64, "uname")},
			patched: true,
			want:    []want{{arch: arch.X86_64, name: "uname", added: true, guards: []int{2}}},
		},
		{
			name: "several ABIs: x86 socketcall may be the socket the KILL rule denies",
			text: `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
				{"names": ["socket"], "action": "SCMP_ACT_KILL"},
				{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`,
			events: []audit.Event{{Arch: arch.X86, AuditArch: arch.X86.Audit(), Nr: 102, Syscall: "socketcall"}},
			want:   []want{{arch: arch.X86, name: "socketcall", guards: []int{0}}},
		},
		{
			name: "several ABIs: a name taken out is taken out on every ABI",
			text: `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
				{"names": ["socket"], "action": "SCMP_ACT_KILL"}]}`,
			events:  []audit.Event{logEvent(arch.X86, "socket")},
			patched: true,
			want:    []want{{arch: arch.X86, name: "socket", added: true, beyond: []string{"x86_64 socket", "x86 socketcall(socket)"}}},
		},
		{
			name: "several ABIs: a rule added names the call on every ABI",
			text: `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [
				{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`,
			events:  []audit.Event{logEvent(arch.X86_64, "uname")},
			patched: true,
			want:    []want{{arch: arch.X86_64, name: "uname", added: true, beyond: []string{"x86 uname", "x32 uname"}}},
		},
		{
			name:    "docker-default",
			text:    string(docker),
			events:  []audit.Event{logEvent(arch.X86_64, "mount"), logEvent(arch.X86_64, "clone"), logEvent(arch.X86_64, "personality"), logEvent(arch.X86, "socketcall")},
			patched: true,
			want: []want{
				{arch: arch.X86_64, name: "clone", added: true, wider: []int{12}, beyond: []string{
					"x86 clone (arguments such as [0x40000000 0x0 0x0 0x0 0x0 0x0])", "x32 clone (arguments such as [0x40000000 0x0 0x0 0x0 0x0 0x0])"}},
				{arch: arch.X86_64, name: "mount", added: true, beyond: []string{"x86 mount", "x32 mount"}},
				{arch: arch.X86_64, name: "personality", added: true, wider: []int{5, 6, 7, 8, 9}, beyond: []string{
					"x86 personality (arguments such as [0x80000000 0x0 0x0 0x0 0x0 0x0])", "x32 personality (arguments such as [0x80000000 0x0 0x0 0x0 0x0 0x0])"}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := []byte(tc.text + "\n")
			p, err := oci.Parse("p.json", text)
			if err != nil {
				t.Fatal(err)
			}
			d := auditlog.Denied(p, arch.X86_64, tc.events)
			pt, err := auditlog.MakePatch("p.json", text, p, arch.X86_64, d.Rec, "added")
			if err != nil {
				t.Fatal(err)
			}
			if (pt.Diff != nil) != tc.patched {
				t.Errorf("patched %v (%s), want %v", pt.Diff != nil, pt.Why, tc.patched)
			}
			for _, w := range tc.want {
				i := slices.IndexFunc(pt.Adds, func(a record.Addition) bool { return a.Arch == w.arch && a.Name == w.name })
				if i < 0 {
					t.Errorf("no addition for %s %s in %+v", w.arch, w.name, pt.Adds)
					continue
				}
				a := pt.Adds[i]
				var beyond []string
				for _, b := range a.Beyond {
					beyond = append(beyond, b.String())
				}
				if a.Added != w.added || !slices.Equal(a.Guards, w.guards) || w.wider != nil && !slices.Equal(a.Wider, w.wider) || !slices.Equal(beyond, w.beyond) {
					t.Errorf("%s %s: added %v guards %v wider %v beyond %v; want added %v guards %v wider %v beyond %v (%s)",
						w.arch, w.name, a.Added, a.Guards, a.Wider, beyond, w.added, w.guards, w.wider, w.beyond, a.Why)
				}
			}
			changed := 0
			count := func(counter string, n int) {
				if counter == "decided otherwise after the patch" {
					changed += n
				}
			}
			if err := verifyPatch(rand.New(rand.NewPCG(1, 2)), p, text, arch.X86_64, tc.events, d.Rec, pt, count); err != nil {
				t.Error(err)
			}
			if tc.patched && changed == 0 {
				t.Errorf("the patch changed nothing the inputs reach:\n%s", pt.Diff)
			}
		})
	}
}

// TestDeniedUnsure: calls the log cannot tell apart are said, not
// dropped or added: numbers no table names, calls the profile logs itself
// for some arguments and denies for others, ABIs it does not cover.
func TestDeniedUnsure(t *testing.T) {
	p, err := oci.Parse("p.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["personality"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
		{"names": ["getpid"], "action": "SCMP_ACT_LOG"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	events := []audit.Event{
		logEvent(arch.X86_64, "personality"), logEvent(arch.X86_64, "getpid"), logEvent(arch.X86, "read"),
		{Arch: arch.X86_64, AuditArch: arch.X86_64.Audit(), Nr: 1000},
	}
	d := auditlog.Denied(p, arch.X86_64, events)
	if len(d.Names) != 0 || !slices.Equal(d.Unsure, []string{"x86_64 personality"}) || !slices.Equal(d.OtherABIs, []string{"x86"}) || !slices.Equal(d.Rec.Unknown, []string{"x86_64:1000"}) {
		t.Errorf("names %v unsure %v other ABIs %v unknown %v", d.Names, d.Unsure, d.OtherABIs, d.Rec.Unknown)
	}
}

// TestPlanValues: with argument values (record --into), a call is
// added under them, never where a guard decided the values recorded.
func TestPlanValues(t *testing.T) {
	text := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`
	p, err := oci.Parse("p.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := arch.X86_64.SyscallNumber("personality")
	for _, tc := range []struct {
		values []uint64
		added  bool
	}{{[]uint64{0x200}, true}, {[]uint64{8}, false}, {[]uint64{0x200, 8}, false}} {
		rec := record.New(arch.X86_64)
		for _, v := range tc.values {
			rec.Add(arch.X86_64, nr, &[6]uint64{v}, true)
		}
		q, adds, err := rec.AddTo(p, arch.X86_64)
		if err != nil {
			t.Fatal(err)
		}
		if len(adds) != 1 || adds[0].Added != tc.added {
			t.Errorf("values %#x: additions %+v, want added %v", tc.values, adds, tc.added)
		}
		out, _ := oci.Format(q)
		if tc.added && !strings.Contains(string(out), `"value": 512`) {
			t.Errorf("values %#x: no rule under the value:\n%s", tc.values, out)
		}
	}
}

// TestMakePatchConditional: a profile with includes, excludes or an
// archMap is not patched (a patch proven for one host and set of
// capabilities may widen another), and the rules the report names are
// the file's.
func TestMakePatchConditional(t *testing.T) {
	text := []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mount"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
		{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
		{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}
`)
	raw, err := oci.Parse("p.json", text)
	if err != nil {
		t.Fatal(err)
	}
	p, err := raw.Resolve(profile.Env{Arch: arch.X86_64, Caps: []string{"CAP_SYS_ADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	d := auditlog.Denied(p, arch.X86_64, []audit.Event{logEvent(arch.X86_64, "uname")})
	pt, err := auditlog.MakePatch("p.json", text, p, arch.X86_64, d.Rec, "added")
	if err != nil {
		t.Fatal(err)
	}
	if pt.Diff != nil || pt.NotPlain == nil {
		t.Fatalf("a patch of a conditional profile (%v):\n%s", pt.NotPlain, pt.Diff)
	}
	if len(pt.Adds) != 1 || !slices.Equal(pt.Adds[0].Undenied, []int{1}) || !slices.Equal(pt.Adds[0].Guards, []int{2}) {
		t.Errorf("additions %+v, want uname taken out of the file's rule 2 (index 1), guard 3 (index 2)", pt.Adds)
	}
}
