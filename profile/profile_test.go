package profile_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

var (
	allow = profile.Action{Kind: profile.ActAllow}
	eperm = profile.Action{Kind: profile.ActErrno, Data: 1}
	kill  = profile.Action{Kind: profile.ActKillThread}
	logA  = profile.Action{Kind: profile.ActLog}
	trace = profile.Action{Kind: profile.ActTrace, Data: 3}
)

type call struct {
	abi  arch.Arch
	name string // or "" and nr
	nr   uint32
	args [6]uint64
	want profile.Action
}

// check evaluates calls on p (native x86_64 unless set) and compares
// Table's answer with Evaluate's.
func check(t *testing.T, p *profile.Profile, native arch.Arch, calls []call) {
	t.Helper()
	for _, c := range calls {
		n := c.nr
		if c.name != "" {
			n = proftest.Nr(t, c.abi, c.name)
		}
		got, err := profile.Evaluate(p, native, profile.Data{Nr: n, Arch: c.abi.Audit(), Args: c.args})
		if err != nil {
			t.Fatalf("%s %s: %v", c.abi, c.name, err)
		}
		if got != c.want {
			t.Errorf("%s %s(%#x) %#x: Evaluate %s, want %s", c.abi, c.name, n, c.args, got, c.want)
		}
		abi, _ := arch.FromAuditNr(c.abi.Audit(), n)
		if got == profile.DefaultBadArch && c.want == profile.DefaultBadArch {
			continue
		}
		tab, err := p.Table(abi, profile.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tw := tab.Default
		if e, ok := tab.Lookup(n); ok {
			tw = e.Decide(abi, c.args)
		}
		if tw != c.want {
			t.Errorf("%s %s(%#x) %#x: Table %s, want %s", abi, c.name, n, c.args, tw, c.want)
		}
	}
}

func TestRuncGrouping(t *testing.T) {
	// Distinct indices: AND. A repeated index: every condition alone (OR).
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
		{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]},
		{"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":1,"value":3,"op":"SCMP_CMP_EQ"}]}]}`)
	x := arch.X86_64
	check(t, p, x, []call{
		{abi: x, name: "read", args: [6]uint64{1, 2}, want: allow},
		{abi: x, name: "read", args: [6]uint64{1, 3}, want: eperm},
		{abi: x, name: "read", args: [6]uint64{0, 2}, want: eperm},
		{abi: x, name: "write", args: [6]uint64{1, 9}, want: allow},
		{abi: x, name: "write", args: [6]uint64{2, 9}, want: allow},
		{abi: x, name: "write", args: [6]uint64{9, 3}, want: allow},
		{abi: x, name: "write", args: [6]uint64{9, 9}, want: eperm},
	})
}

func TestDefaultEqualRulesDropped(t *testing.T) {
	// The ERRNO(1) rule equals the default and is dropped before it could
	// replace the conditional ALLOW; ERRNO(2) is not the default.
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[
		{"names":["read","write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
		{"names":["read"],"action":"SCMP_ACT_ERRNO"},
		{"names":["write"],"action":"SCMP_ACT_ERRNO","errnoRet":2}]}`)
	x := arch.X86_64
	check(t, p, x, []call{
		{abi: x, name: "read", args: [6]uint64{1}, want: allow},
		{abi: x, name: "read", args: [6]uint64{0}, want: eperm},
		{abi: x, name: "write", args: [6]uint64{1}, want: profile.Action{Kind: profile.ActErrno, Data: 2}},
	})
	tab, err := p.Table(x, profile.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := tab.Lookup(proftest.Nr(t, x, "write")); len(e.Rules) != 0 || e.Action.Data != 2 {
		t.Errorf("write: %+v, want unconditional ERRNO(2)", e)
	}
}

func TestSeveralRules(t *testing.T) {
	x := arch.X86_64
	for _, tc := range []struct {
		name  string
		rules string
		calls []call
	}{
		{"first unconditional wins", `
			{"names":["read"],"action":"SCMP_ACT_ALLOW"},
			{"names":["read"],"action":"SCMP_ACT_LOG"}`,
			[]call{{abi: x, name: "read", want: allow}}},
		{"unconditional replaces conditional", `
			{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
			{"names":["read"],"action":"SCMP_ACT_LOG"}`,
			[]call{{abi: x, name: "read", args: [6]uint64{1}, want: logA}, {abi: x, name: "read", want: logA}}},
		{"conditional after unconditional dropped", `
			{"names":["read"],"action":"SCMP_ACT_LOG"},
			{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}`,
			[]call{{abi: x, name: "read", args: [6]uint64{1}, want: logA}}},
		{"tree order, not profile order: EQ before GT", `
			{"names":["read"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":5,"op":"SCMP_CMP_GT"}]},
			{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":7,"op":"SCMP_CMP_EQ"}]}`,
			[]call{
				{abi: x, name: "read", args: [6]uint64{7}, want: allow},
				{abi: x, name: "read", args: [6]uint64{8}, want: logA},
				{abi: x, name: "read", args: [6]uint64{5}, want: eperm},
			}},
		{"higher argument first", `
			{"names":["read"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
			{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":1,"op":"SCMP_CMP_EQ"}]}`,
			[]call{
				{abi: x, name: "read", args: [6]uint64{1, 1}, want: allow},
				{abi: x, name: "read", args: [6]uint64{1, 0}, want: logA},
			}},
		{"masked with zero mask is unconditional", `
			{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"valueTwo":5,"op":"SCMP_CMP_MASKED_EQ"}]},
			{"names":["read"],"action":"SCMP_ACT_LOG"}`,
			[]call{{abi: x, name: "read", args: [6]uint64{9}, want: allow}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[`+tc.rules+`]}`)
			check(t, p, x, tc.calls)
		})
	}
}

func TestLibseccompRefuses(t *testing.T) {
	// A shorter rule with another action after a longer one with the same
	// leading comparison: libseccomp's _db_tree_add fails with EEXIST.
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
		{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]},
		{"names":["read"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}`)
	_, err := p.Table(arch.X86_64, profile.TableOptions{})
	if !errors.Is(err, profile.ErrInvalid) || !strings.Contains(err.Error(), "EEXIST") {
		t.Fatalf("Table: %v, want an EEXIST error", err)
	}
	_, err = profile.Evaluate(p, arch.X86_64, profile.Data{Nr: 0, Arch: arch.X86_64.Audit()})
	if !errors.Is(err, profile.ErrInvalid) {
		t.Fatalf("Evaluate: %v, want ErrInvalid", err)
	}
	// The same rules in the other order: the shorter rule wins outright.
	p.Rules[0], p.Rules[1] = p.Rules[1], p.Rules[0]
	check(t, p, arch.X86_64, []call{{abi: arch.X86_64, name: "read", args: [6]uint64{1, 2}, want: logA}})
}

func TestUnknownNames(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
		{"names":["read","arch_prctl","no_such_call","chown32"],"action":"SCMP_ACT_ALLOW"}]}`)
	tab, err := p.Table(arch.X86_64, profile.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"chown32", "no_such_call"}; !slices.Equal(tab.Unknown, want) {
		t.Errorf("Unknown = %q, want %q", tab.Unknown, want)
	}
	if len(tab.Syscalls) != 2 {
		t.Errorf("%d entries, want read and arch_prctl", len(tab.Syscalls))
	}
	_, err = p.Table(arch.X86, profile.TableOptions{Strict: true})
	if !errors.Is(err, profile.ErrUnknownSyscall) || !strings.Contains(err.Error(), "no_such_call") {
		t.Errorf("strict: %v", err)
	}
}

func TestMultiplexedSocket(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":97,"args":[{"index":0,"value":16,"op":"SCMP_CMP_EQ"},{"index":1,"value":3,"op":"SCMP_CMP_EQ"}]},
		{"names":["accept"],"action":"SCMP_ACT_KILL"}]}`)
	x86 := arch.X86
	eaf := profile.Action{Kind: profile.ActErrno, Data: 97}
	check(t, p, x86, []call{
		// The direct call keeps its conditions.
		{abi: x86, name: "socket", args: [6]uint64{16, 3}, want: eaf},
		{abi: x86, name: "socket", args: [6]uint64{2, 3}, want: allow},
		// socketcall(SYS_SOCKET=1, args...): arg0 replaced, arg1 kept.
		{abi: x86, name: "socketcall", args: [6]uint64{1, 3}, want: eaf},
		{abi: x86, name: "socketcall", args: [6]uint64{1, 4}, want: allow},
		{abi: x86, name: "socketcall", args: [6]uint64{16, 3}, want: allow},
		// accept has no direct call on x86: socketcall(SYS_ACCEPT=5) only.
		{abi: x86, name: "socketcall", args: [6]uint64{5}, want: kill},
		{abi: arch.X86_64, name: "accept", want: kill},
	})
	tab, err := p.Table(x86, profile.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := tab.Lookup(102)
	if len(e.Rules) != 2 || !slices.Contains(e.Rules[0].Conds, profile.Cond{Arg: 0, Op: profile.OpEQ, Value: 5}) && !slices.Contains(e.Rules[1].Conds, profile.Cond{Arg: 0, Op: profile.OpEQ, Value: 5}) {
		t.Errorf("socketcall entry: %+v", e)
	}
}

func TestLowWordOn32Bit(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
		{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967301,"op":"SCMP_CMP_EQ"}]},
		{"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967296,"op":"SCMP_CMP_GE"}]}]}`)
	for _, tc := range []struct {
		abi  arch.Arch
		name string
		v    uint64
		want profile.Action
	}{
		{arch.X86, "read", 5, allow}, // 0x100000005 truncated to 5
		{arch.X86, "read", 0x100000005, allow},
		{arch.X86, "read", 0x700000005, allow},
		{arch.X86, "read", 6, eperm},
		{arch.X86_64, "read", 5, eperm},
		{arch.X86_64, "read", 0x100000005, allow},
		{arch.X86, "write", 0, allow}, // >= 0 after truncation
		{arch.X86_64, "write", 0, eperm},
		{arch.X32, "read", 5, allow},
		{arch.MIPS64N32, "read", 5, allow},
		{arch.AARCH64, "read", 5, eperm},
	} {
		p.Arches = []arch.Arch{tc.abi}
		check(t, p, arch.X86_64, []call{{abi: tc.abi, name: tc.name, args: [6]uint64{tc.v}, want: tc.want}})
	}
	tab, _ := p.Table(arch.X86, profile.TableOptions{})
	e, _ := tab.Lookup(proftest.Nr(t, arch.X86, "read"))
	if len(e.Rules) != 1 || e.Rules[0].Conds[0].Value != 5 {
		t.Errorf("x86 read: %+v, want arg0 == 5", e)
	}
}

func TestArchitectures(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`)
	x, x32 := arch.X86_64, arch.X32
	read32 := proftest.Nr(t, x32, "read")
	bad := profile.DefaultBadArch
	// x86_64 alone.
	check(t, p, x, []call{
		{abi: x, name: "read", want: allow},
		{abi: x, nr: read32, want: bad},
		{abi: x, nr: 0x7fffffff, want: bad},
		{abi: x, nr: 0xffffffff, want: eperm},
		{abi: x, nr: 0x3fffffff, want: eperm},
		{abi: arch.X86, name: "read", want: bad},
		{abi: arch.AARCH64, name: "read", want: bad},
	})
	// x32 alone (native x32 is not a thing, so no native).
	p.Arches = []arch.Arch{x32}
	check(t, p, arch.Invalid, []call{
		{abi: x, nr: read32, want: allow},
		{abi: x, nr: 0, want: bad},
		{abi: x, nr: 0xffffffff, want: eperm},
	})
	// Both, and x86.
	p.Arches = []arch.Arch{x32, arch.X86}
	check(t, p, x, []call{
		{abi: x, nr: read32, want: allow},
		{abi: x, nr: 0, want: allow},
		{abi: x, nr: 0x7fffffff, want: eperm},
		{abi: arch.X86, name: "read", want: allow},
		{abi: arch.ARM, name: "read", want: bad},
	})
	if _, err := profile.Evaluate(&profile.Profile{Default: allow}, arch.Invalid, profile.Data{}); err == nil {
		t.Error("Evaluate without any architecture succeeded")
	}
	if bad != kill {
		t.Errorf("DefaultBadArch = %s, want KILL_THREAD", bad)
	}
}

func TestResolve(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","archMap":[
		{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
		{"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
	"syscalls":[
		{"names":["a0"],"action":"SCMP_ACT_ALLOW"},
		{"names":["a1"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
		{"names":["a2"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN","CAP_BPF"]}},
		{"names":["a3"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64","x86"]}},
		{"names":["a4"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["arm64"]}},
		{"names":["a5"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8"}},
		{"names":["a6"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"6.19"}},
		{"names":["a7"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_KILL","CAP_BPF"]}}]}`)
	for _, tc := range []struct {
		env    profile.Env
		arches []arch.Arch
		names  string
	}{
		{profile.Env{Arch: arch.X86_64, Caps: oci.DefaultCaps, Kernel: "6.18.0"}, []arch.Arch{arch.X86_64, arch.X86, arch.X32}, "a0 a2 a3 a4 a5 a6"},
		{profile.Env{Arch: arch.AARCH64, Caps: []string{"CAP_SYS_ADMIN", "CAP_KILL", "CAP_BPF"}, Kernel: "6.19.0-rc1"}, []arch.Arch{arch.AARCH64, arch.ARM}, "a0 a1 a5 a7"},
		{profile.Env{Arch: arch.RISCV64, Kernel: "4.7.12-gentoo"}, nil, "a0 a2 a4 a6"},
	} {
		r, err := p.Resolve(tc.env)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, rule := range r.Rules {
			names = append(names, rule.Names...)
			if !rule.Includes.IsZero() || !rule.Excludes.IsZero() {
				t.Errorf("resolved rule keeps its filters: %+v", rule)
			}
		}
		if got := strings.Join(names, " "); got != tc.names || !slices.Equal(r.Arches, tc.arches) || r.ArchMap != nil {
			t.Errorf("%+v: rules %q arches %v, want %q %v", tc.env, got, r.Arches, tc.names, tc.arches)
		}
	}
	if len(p.Rules) != 8 || p.ArchMap == nil {
		t.Error("Resolve modified its receiver")
	}
	if _, err := p.Resolve(profile.Env{Arch: arch.X86_64}); err == nil {
		t.Error("Resolve without a kernel release succeeded for a minKernel rule")
	}
}

func TestKernelVersions(t *testing.T) {
	for _, s := range []string{"4.8", "255.255", "0.1"} {
		if _, err := profile.ParseMinKernel(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"4", "4.8.1", "0.0", "256.1", "a.b", "4.", "-1.2"} {
		if _, err := profile.ParseMinKernel(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	for s, want := range map[string]profile.KernelVersion{"6.18.0": {6, 18}, "3.12-1-amd64": {3, 12}, "5.15.0-rc5": {5, 15}, "4.8": {4, 8}} {
		if got, err := profile.ParseKernelRelease(s); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", s, got, err, want)
		}
	}
}

func TestActions(t *testing.T) {
	for s, want := range map[string]profile.Action{
		"SCMP_ACT_ALLOW": allow, "allow": allow, "ERRNO(13)": {Kind: profile.ActErrno, Data: 13},
		"SCMP_ACT_ERRNO": eperm, "SCMP_ACT_KILL": kill, "KILL_THREAD": kill,
		"SECCOMP_RET_KILL_PROCESS": {Kind: profile.ActKillProcess}, "NOTIFY": {Kind: profile.ActUserNotif},
		"USER_NOTIF": {Kind: profile.ActUserNotif}, "TRACE(3)": trace, "SCMP_ACT_TRACE": {Kind: profile.ActTrace, Data: 1},
	} {
		got, err := profile.ParseAction(s)
		if err != nil || got != want {
			t.Errorf("ParseAction(%q) = %v, %v; want %v", s, got, err, want)
		}
		if back, err := profile.ParseAction(got.String()); err != nil || back != got {
			t.Errorf("ParseAction(%q.String()) = %v, %v", s, back, err)
		}
	}
	for _, s := range []string{"SCMP_ACT_ALOW", "ALLOW(1)", "ERRNO(70000)", ""} {
		if _, err := profile.ParseAction(s); !errors.Is(err, profile.ErrInvalid) {
			t.Errorf("ParseAction(%q): %v", s, err)
		}
	}
	if s := (profile.Action{Kind: profile.ActErrno, Data: 1}).String(); s != "ERRNO(1)" {
		t.Errorf("String = %q", s)
	}
	for o := profile.OpNE; o <= profile.OpMaskedEQ; o++ {
		if back, err := profile.ParseOp(o.SCMP()); err != nil || back != o {
			t.Errorf("ParseOp(%s) = %v, %v", o.SCMP(), back, err)
		}
	}
}

func TestCondMatch(t *testing.T) {
	for _, tc := range []struct {
		c    profile.Cond
		v    uint64
		want bool
	}{
		{profile.Cond{Op: profile.OpNE, Value: 5}, 5, false},
		{profile.Cond{Op: profile.OpLT, Value: 5}, 4, true},
		{profile.Cond{Op: profile.OpLE, Value: 5}, 5, true},
		{profile.Cond{Op: profile.OpEQ, Value: 1 << 40}, 1 << 40, true},
		{profile.Cond{Op: profile.OpGE, Value: 1 << 40}, 1<<40 - 1, false},
		{profile.Cond{Op: profile.OpGT, Value: 5}, 1 << 63, true},
		{profile.Cond{Op: profile.OpMaskedEQ, Value: 0xff, ValueTwo: 0x1234}, 0x34, true},
		{profile.Cond{Op: profile.OpMaskedEQ, Value: 0xff, ValueTwo: 0x1234}, 0x35, false},
	} {
		if got := tc.c.Match(tc.v); got != tc.want {
			t.Errorf("%v.Match(%#x) = %v", tc.c, tc.v, got)
		}
	}
}

func TestValidate(t *testing.T) {
	for name, p := range map[string]profile.Profile{
		"arg index":     {Default: allow, Rules: []profile.Rule{{Names: []string{"read"}, Action: eperm, Conds: []profile.Cond{{Arg: 6, Op: profile.OpEQ}}}}},
		"op":            {Default: allow, Rules: []profile.Rule{{Names: []string{"read"}, Action: eperm, Conds: []profile.Cond{{Op: 9}}}}},
		"errno":         {Default: profile.Action{Kind: profile.ActErrno, Data: 4095}},
		"data on allow": {Default: profile.Action{Kind: profile.ActAllow, Data: 1}},
		"no names":      {Default: allow, Rules: []profile.Rule{{Action: eperm}}},
		"flag":          {Default: allow, Flags: []string{"SECCOMP_FILTER_FLAG_NOPE"}},
		"both arches":   {Default: allow, Arches: []arch.Arch{arch.X86}, ArchMap: []profile.ArchMapEntry{{Arch: arch.X86_64}}},
		"min kernel":    {Default: allow, Rules: []profile.Rule{{Names: []string{"read"}, Action: eperm, Includes: profile.Filter{MinKernel: "4"}}}},
	} {
		if err := p.Validate(); !errors.Is(err, profile.ErrInvalid) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
	ok := profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 4094}}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}

func TestNormalize(t *testing.T) {
	p := proftest.Parse(t, `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X86"],"syscalls":[
		{"names":["write","read","write"],"action":"SCMP_ACT_ALLOW"},
		{"names":["close"],"action":"SCMP_ACT_ERRNO"},
		{"names":["open"],"action":"SCMP_ACT_LOG"},
		{"names":["dup"],"action":"SCMP_ACT_ALLOW"},
		{"names":["read"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
		{"names":["read","mmap"],"action":"SCMP_ACT_ALLOW"},
		{"names":["bind"],"action":"SCMP_ACT_KILL"},
		{"names":["socket"],"action":"SCMP_ACT_LOG"},
		{"names":["accept"],"action":"SCMP_ACT_KILL"}]}`)
	before := p.Clone()
	p.Normalize()
	var got []string
	for _, r := range p.Rules {
		got = append(got, r.Action.String()+":"+strings.Join(r.Names, ","))
	}
	want := "ALLOW:dup,read,write LOG:open LOG:read ALLOW:mmap,read KILL_THREAD:bind LOG:socket KILL_THREAD:accept"
	if strings.Join(got, " ") != want {
		t.Errorf("Normalize:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if !slices.Equal(p.Arches, []arch.Arch{arch.X86}) {
		t.Errorf("arches %v", p.Arches)
	}
	again := p.Clone()
	again.Normalize()
	if fmt.Sprint(again) != fmt.Sprint(p) {
		t.Error("Normalize is not idempotent")
	}
	// Same meaning everywhere.
	for _, abi := range []arch.Arch{arch.X86_64, arch.X86} {
		a, _ := before.Table(abi, profile.TableOptions{})
		b, _ := p.Table(abi, profile.TableOptions{})
		for _, t := range []*profile.Table{a, b} {
			for i := range t.Syscalls {
				for j := range t.Syscalls[i].Rules {
					t.Syscalls[i].Rules[j].Origin = 0 // rule numbers change
				}
			}
		}
		if fmt.Sprint(a.Syscalls) != fmt.Sprint(b.Syscalls) {
			t.Errorf("%s: Normalize changed the table:\n%v\n%v", abi, a.Syscalls, b.Syscalls)
		}
	}
}

// TestRandomConsistent checks Table against Evaluate on random profiles
// (proftest.Random, every other one with rules of different actions
// overlapping on a system call) on the inputs proftest.Inputs gives for
// each ABI of the profile.
func TestRandomConsistent(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 400
	if testing.Short() || testenv.Race {
		n = 50 // test.sh runs all 400 without the race detector
	}
	built := 0
	for i := 0; i < n; i++ {
		p := proftest.Random(r, proftest.Config{AllowOverlap: i%2 == 1})
		host := proftest.Host(p)
		tabs, err := tables(p, host)
		if err != nil {
			continue // refusals are compared with libseccomp's elsewhere
		}
		built++
		evaluateInputs(t, p, host, func(_ arch.Arch, _ bpf.SeccompData, d profile.Data, got profile.Action) bool {
			checkTable(t, tabs, d, got)
			return true
		})
		if t.Failed() {
			js, _ := oci.Format(p)
			t.Fatalf("profile %d:\n%s", i, js)
		}
	}
	t.Logf("%d of %d random profiles built", built, n)
}

func TestTokenAction(t *testing.T) {
	for _, tok := range profile.ActionNames() {
		k, ok := profile.TokenAction(tok)
		a, err := profile.ParseAction(tok)
		if !ok || err != nil || a.Kind != k {
			t.Errorf("TokenAction(%q) = %v, %v; ParseAction: %v, %v", tok, k, ok, a, err)
		}
	}
	for _, tok := range []string{"scmp_act_allow", "ALLOW", "SCMP_ACT_ERRNO(1)", ""} {
		if _, ok := profile.TokenAction(tok); ok {
			t.Errorf("TokenAction(%q) accepted a token runc refuses", tok)
		}
	}
}

// TestByteOrders: libseccomp refuses to add an ABI of the other byte
// order to a filter (EDOM), and the filter always holds the host's
// native ABI. A kernel never runs programs of the other byte order, so
// archMap sub-architectures of it (systemd's local archs of mips64) are
// dropped when resolving.
func TestByteOrders(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	mixed := &profile.Profile{Default: allow, Arches: []arch.Arch{arch.X86_64, arch.S390X}}
	if err := mixed.Validate(); !errors.Is(err, profile.ErrInvalid) || !strings.Contains(err.Error(), "EDOM") {
		t.Errorf("validate x86_64 with s390x: %v, want EDOM refusal", err)
	}
	s390x := &profile.Profile{Default: allow, Arches: []arch.Arch{arch.S390X}}
	if err := s390x.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := s390x.Resolve(profile.Env{Arch: arch.X86_64}); !errors.Is(err, profile.ErrInvalid) {
		t.Errorf("resolve s390x for an x86_64 host: %v, want EDOM refusal", err)
	}
	if _, err := s390x.Resolve(profile.Env{Arch: arch.S390X}); err != nil {
		t.Errorf("resolve s390x for an s390x host: %v", err)
	}
	m := &profile.Profile{Default: allow, ArchMap: []profile.ArchMapEntry{{Arch: arch.MIPS64, Sub: []arch.Arch{arch.MIPS, arch.MIPSEL, arch.MIPS64N32, arch.MIPSEL64}}}}
	r, err := m.Resolve(profile.Env{Arch: arch.MIPS64})
	if err != nil {
		t.Fatal(err)
	}
	if want := []arch.Arch{arch.MIPS64, arch.MIPS, arch.MIPS64N32}; !slices.Equal(r.Arches, want) {
		t.Errorf("mips64 host: arches %v, want %v", r.Arches, want)
	}
}

// TestNULNames: a C string ends at NUL, so runc (libseccomp-golang's
// C.CString) and LXC read "ptrace\x00..." as ptrace; the model refuses
// such names rather than call them unknown.
func TestNULNames(t *testing.T) {
	for _, n := range []string{"ptrace\x00 (hidden)", "\x00", "read\x00"} {
		p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1},
			Rules: []profile.Rule{{Names: []string{"write", n}, Action: profile.Action{Kind: profile.ActAllow}}}}
		if err := p.Validate(); !errors.Is(err, profile.ErrInvalid) {
			t.Errorf("%q: validate %v, want ErrInvalid", n, err)
		}
		if _, err := p.Table(arch.X86_64, profile.TableOptions{}); err == nil {
			t.Errorf("%q: Table accepted it", n)
		}
	}
}

// TestEnvRules finds the rules whose includes or excludes test the
// capabilities or the kernel, and checks that they are the rules Resolve
// decides differently when the capabilities or the kernel change.
func TestEnvRules(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Rules: []profile.Rule{
		{Names: []string{"read"}, Action: allow},
		{Names: []string{"mount"}, Action: allow, Includes: profile.Filter{Caps: []string{"CAP_SYS_ADMIN"}}},
		{Names: []string{"clone3"}, Action: allow, Includes: profile.Filter{MinKernel: "5.3"}},
		{Names: []string{"ptrace"}, Action: allow, Excludes: profile.Filter{Caps: []string{"CAP_SYS_PTRACE"}, MinKernel: "4.8"}},
		{Names: []string{"uname"}, Action: allow, Excludes: profile.Filter{Arches: []arch.Arch{arch.X86}}},
	}}
	for _, c := range []struct {
		caps, kernel bool
		want         []int
	}{
		{true, false, []int{1, 3}},
		{false, true, []int{2, 3}},
		{true, true, []int{1, 2, 3}},
		{false, false, nil},
	} {
		if got := p.EnvRules(c.caps, c.kernel); !slices.Equal(got, c.want) {
			t.Errorf("EnvRules(%v, %v) = %v, want %v", c.caps, c.kernel, got, c.want)
		}
	}
	// Resolve keeps or drops exactly those rules when the set changes.
	names := func(env profile.Env) []string {
		r, err := p.Resolve(env)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range r.Rules {
			out = append(out, r.Names...)
		}
		return out
	}
	base := profile.Env{Arch: arch.X86_64, Kernel: "4.0"}
	admin := base
	admin.Caps = []string{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"}
	newer := base
	newer.Kernel = "6.1"
	if a, b := names(base), names(admin); slices.Contains(a, "mount") || !slices.Contains(b, "mount") || slices.Contains(b, "ptrace") || !slices.Contains(a, "ptrace") {
		t.Errorf("capabilities: %v, then %v", a, b)
	}
	if a, b := names(base), names(newer); slices.Contains(a, "clone3") || !slices.Contains(b, "clone3") {
		t.Errorf("kernel: %v, then %v", a, b)
	}
}

// TestEnvCaveat: a comparison of profiles whose rules test the
// capabilities or the kernel holds for one set only, unless the profiles
// are the same.
func TestEnvCaveat(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	plain := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Rules: []profile.Rule{{Names: []string{"read"}, Action: allow}}}
	caps := plain.Clone()
	caps.Rules = append(caps.Rules, profile.Rule{Names: []string{"mount"}, Action: allow, Includes: profile.Filter{Caps: []string{"CAP_SYS_ADMIN"}}})
	kernel := plain.Clone()
	kernel.Rules = append(kernel.Rules, profile.Rule{Names: []string{"clone3"}, Action: allow, Includes: profile.Filter{MinKernel: "5.3"}})
	const head = "compared for Docker's default capabilities and this kernel only: "
	for _, c := range []struct {
		name         string
		ps           []*profile.Profile
		caps, kernel bool
		want         string
	}{
		{"no rule depends", []*profile.Profile{plain, plain.Clone()}, true, true, ""},
		{"the same profile", []*profile.Profile{caps, caps.Clone()}, true, true, ""},
		{"capabilities", []*profile.Profile{plain, caps}, true, true, head + "B's rules 2 depend on capabilities or the kernel version"},
		{"capabilities pinned", []*profile.Profile{plain, caps}, false, true, ""},
		{"both", []*profile.Profile{kernel, caps}, true, true, head + "A's rules 2; B's rules 2 depend on capabilities or the kernel version"},
		{"kernel pinned", []*profile.Profile{kernel, caps}, true, false, head + "B's rules 2 depend on capabilities or the kernel version"},
		{"several", []*profile.Profile{caps, plain, kernel}, true, true, head + "A's rules 2; C's rules 2 depend on capabilities or the kernel version"},
	} {
		if got := profile.EnvCaveat(c.ps, []string{"A", "B", "C"}, c.caps, c.kernel); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
