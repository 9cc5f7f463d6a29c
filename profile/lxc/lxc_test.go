package lxc_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/formattest"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/lxc"
	"github.com/syscage/syscage/profile/oci"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRoundTrip checks Format(Parse(x)) against testdata/x.golden, that
// Format is stable on its own output, and Parse(Format(p)) == p.
func TestRoundTrip(t *testing.T) {
	formattest.RoundTrip(t, formattest.Glob(t, "testdata/*.seccomp"),
		func(f string) string { return strings.TrimSuffix(f, ".seccomp") + ".golden" }, *update, 1,
		codec)
}

// codec reads and writes LXC policies, for the round trips.
var codec = formattest.Codec[struct{}]{
	Parse: formattest.NoMeta(lxc.Parse),
	Format: func(p *profile.Profile, _ struct{}) ([]byte, error) {
		return formattest.Lossless(lxc.Format(p, lxc.Options{}))
	},
}

func TestParse(t *testing.T) {
	data, _ := os.ReadFile("testdata/sections.seccomp")
	p, err := lxc.Parse("sections.seccomp", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Default != (profile.Action{Kind: profile.ActErrno, Data: 1}) {
		t.Errorf("default %v, want ERRNO(1)", p.Default)
	}
	find := func(name string) []profile.Rule {
		var out []profile.Rule
		for _, r := range p.Rules {
			if r.Names[0] == name {
				out = append(out, r)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		want profile.Rule
	}{
		{"read", profile.Rule{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}, Comment: "basic I/O"}},
		{"mknod", profile.Rule{Names: []string{"mknod"}, Action: profile.Action{Kind: profile.ActUserNotif},
			Conds: []profile.Cond{{Arg: 1, Op: profile.OpMaskedEQ, Value: 61440, ValueTwo: 8192}}}},
		{"mknodat", profile.Rule{Names: []string{"mknodat"}, Action: profile.Action{Kind: profile.ActUserNotif},
			Conds: []profile.Cond{{Arg: 2, Op: profile.OpMaskedEQ, Value: 0xf000, ValueTwo: 0x2000}}}},
		{"set_thread_area", profile.Rule{Names: []string{"set_thread_area"}, Action: profile.Action{Kind: profile.ActTrap},
			Includes: profile.Filter{Arches: []arch.Arch{arch.X86, arch.X86_64}}}},
		{"uselib", profile.Rule{Names: []string{"uselib"}, Action: profile.Action{Kind: profile.ActLog},
			Includes: profile.Filter{Arches: []arch.Arch{arch.X86_64}}}},
		{"mount", profile.Rule{Names: []string{"mount"}, Action: profile.Action{Kind: profile.ActErrno, Data: 13},
			Includes: profile.Filter{Arches: []arch.Arch{arch.ARM, arch.AARCH64}}}},
		{"mprotect", profile.Rule{Names: []string{"mprotect"}, Action: profile.Action{Kind: profile.ActAllow},
			Conds: []profile.Cond{{Arg: 2, Op: profile.OpMaskedEQ, Value: 4, ValueTwo: 4}}}},
	} {
		got := find(tc.name)
		if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if rs := find("personality"); len(rs) != 2 || rs[0].Comment != "a comment line\n\nthat spans three lines" || rs[1].Conds[0].Value != 8 {
		t.Errorf("personality: %+v", rs)
	}
	if rs := find("socket"); len(rs) != 1 || len(rs[0].Conds) != 6 || rs[0].Conds[5] != (profile.Cond{Arg: 5, Op: profile.OpGT, Value: 6}) {
		t.Errorf("socket: %+v", rs)
	}

	data, _ = os.ReadFile("testdata/common.seccomp")
	p, err = lxc.Parse("common.seccomp", data)
	if err != nil {
		t.Fatal(err)
	}
	want := profile.Rule{Names: []string{"umount2"}, Action: profile.Action{Kind: profile.ActErrno, Data: 13},
		Conds:   []profile.Cond{{Arg: 1, Op: profile.OpMaskedEQ, Value: 1, ValueTwo: 1}},
		Comment: "comment this to allow umount -f;  not recommended"}
	if p.Default.Kind != profile.ActAllow || !reflect.DeepEqual(p.Rules[0], want) {
		t.Errorf("common.seccomp: default %v, first rule %+v", p.Default, p.Rules[0])
	}
}

// TestVersion1 reads native numbers with the tables of this machine's ABI.
func TestVersion1(t *testing.T) {
	native, ok := arch.Native()
	if !ok {
		t.Fatal("unknown native ABI")
	}
	var b strings.Builder
	b.WriteString("1\nallowlist\n")
	names := []string{"read", "write", "exit_group"}
	for _, n := range names {
		nr, ok := native.SyscallNumber(n)
		if !ok {
			t.Fatalf("%s has no %s", native, n)
		}
		fmt.Fprintf(&b, "%d\n", nr)
	}
	p, err := lxc.Parse("v1", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if p.Default.Kind != profile.ActKillThread || len(p.Rules) != 3 || p.ArchMap != nil {
		t.Fatalf("v1: %+v", p)
	}
	for i, n := range names {
		if p.Rules[i].Names[0] != n || p.Rules[i].Action.Kind != profile.ActAllow {
			t.Errorf("rule %d: %+v, want allow %s", i, p.Rules[i], n)
		}
	}
	if _, err := lxc.Parse("v1", []byte("1\ndenylist\n0\n")); err == nil || !strings.Contains(err.Error(), "v1:2:1: version 1 policies are allowlists only") {
		t.Errorf("v1 denylist: %v", err)
	}
	if _, err := lxc.Parse("v1", []byte("1\nallowlist\n0\nread\n")); err == nil || !strings.Contains(err.Error(), `v1:4:1: "read" is not a system-call number`) {
		t.Errorf("v1 name: %v", err)
	}
}

func TestErrors(t *testing.T) {
	formattest.Refuses(t, "p.seccomp", lxc.Parse, []struct{ In, Want string }{
		{"", `p.seccomp:1:1: missing version line...`},
		{"3\nallowlist\n", `p.seccomp:1:1: unknown policy version "3" (want 1 or 2)`},
		{"2\n", `p.seccomp:2:1: empty policy line...`},
		{"2", `p.seccomp:1: missing policy line...`},
		{"2\ngraylist\n", `p.seccomp:2:1: unknown policy "graylist"...`},
		{"2\nallowlist debug\n", `p.seccomp:2:11: debug is not implemented by LXC`},
		{"2\nallowlist errno\n", `p.seccomp:2:16: errno needs a number...`},
		{"2\nallowlist errno 4095\n", `p.seccomp:2:17: errno "4095" must be a number 0..4094`},
		{"2\nallowlist kill now\n", `p.seccomp:2:16: unexpected "now" after the default action`},
		{"2\nallowlist\nread alow\n", `p.seccomp:3:6: unknown action "alow" (want kill, errno N, allow, trap, notify or log)`},
		{"2\nallowlist\n[x86_65]\n", `p.seccomp:3:2: unknown architecture section [x86_65]...`},
		{"2\nallowlist\n[x86_64\n", `p.seccomp:3:1: malformed section "[x86_64"...`},
		{"2\ndenylist\nmount errno 1 [6,1,==]\n", `p.seccomp:3:16: argument index "6" must be 0..5`},
		{"2\ndenylist\nmount errno 1 [0,x,==]\n", `p.seccomp:3:18: argument value "x" must be a number...`},
		{"2\ndenylist\nmount errno 1 [0,1,=~]\n", `p.seccomp:3:20: unknown operator "=~"...`},
		{"2\ndenylist\nmount errno 1 [0,1,==,3]\n", `p.seccomp:3:23: a mask goes only with SCMP_CMP_MASKED_EQ...`},
		{"2\ndenylist\nmount errno 1 [0,1]\n", `p.seccomp:3:15: argument condition [0,1] has 2 fields...`},
		{"2\ndenylist\nmount errno 1 [0,1,==] [0,2,==]\n", `p.seccomp:3:24: argument 0 is compared twice...`},
		{"2\ndenylist\nmount [0,1,==]\n", `p.seccomp:3:7: argument conditions need an action before them...`},
		{"2\ndenylist\nmount errno 1 0,1,==\n", `p.seccomp:3:15: "0,1,==" is not an argument condition...`},
		{"2\ndenylist\nread allow\n", `p.seccomp:3:1: rule for read has the default action allow...`},
		{"2\ndenylist\nreject_force_umount kill\n", `p.seccomp:3:21: reject_force_umount takes nothing after it...`},
		// LXC reads lines as C strings and strips only the newline.
		{"2\ndenylist\nptrace\x00 hidden\n", `p.seccomp:3:7: NUL byte: LXC reads each line as a C string...`},
		{"2\r\ndenylist\r\nptrace\r\n", `p.seccomp:1:2: carriage return: LXC keeps it in the line...`},
		{"2\nallowlist\n[All]\nread\n", `p.seccomp:3:2: unknown architecture section [All]...`},
		{"2\nallowlist\n [x86_64]\nread\n", `p.seccomp:3:1: section [x86_64] with blanks around it...`},
		{"2\nallowlist\n[x86_64] \nread\n", `p.seccomp:3:1: section [x86_64] with blanks around it...`},
	})
}

// TestDockerDefault converts Docker's default profile, resolved for each
// host of its archMap, to LXC and back to OCI JSON, and checks that the
// result gives every system call of every covered ABI the same action.
// Hosts where LXC covers other ABIs than Docker must fail with a loss.
func TestDockerDefault(t *testing.T) {
	d, err := builtin.Get("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range d.ArchMap {
		if testenv.Race && checked == 3 {
			break // test.sh runs every host without the race detector
		}
		host := e.Arch
		t.Run(host.String(), func(t *testing.T) {
			r := proftest.DockerDefault(host)
			out, losses, err := lxc.Format(r, lxc.Options{})
			// The LXC host whose coverage is the resolved profile's.
			lxcHost := arch.Invalid
			for _, m := range lxc.ArchMap {
				if slices.Equal(sorted(append([]arch.Arch{m.Arch}, m.Sub...)), sorted(r.Arches)) {
					lxcHost = m.Arch
				}
			}
			if lxcHost == arch.Invalid {
				var le *profile.LossError
				if !errors.As(err, &le) || len(losses) == 0 || !strings.Contains(losses[0].What, "LXC covers") {
					t.Fatalf("host %s that LXC covers differently: err %v, losses %v", host, err, losses)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := lxc.Parse("docker.seccomp", out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			js, err := oci.Format(p)
			if err != nil {
				t.Fatal(err)
			}
			q, err := oci.Parse("docker-lxc.json", js)
			if err != nil {
				t.Fatal(err)
			}
			q, err = q.Resolve(profile.Env{Arch: lxcHost})
			if err != nil {
				t.Fatal(err)
			}
			n, err := formattest.SameVerdicts(r, q, host)
			if err != nil {
				t.Fatal(err)
			}
			if n < 1000 {
				t.Errorf("only %d system calls compared", n)
			}
			t.Logf("%s: %d system calls, same verdicts", host, n)
			checked++
		})
	}
	if checked < 3 {
		t.Errorf("only %d hosts checked", checked)
	}
}

func TestLosses(t *testing.T) {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActKillProcess},
		Arches:  []arch.Arch{arch.X86_64, arch.X86, arch.X32},
		Flags:   []string{"SECCOMP_FILTER_FLAG_LOG"},
		Rules: []profile.Rule{
			{Names: []string{"read", "write"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"ptrace"}, Action: profile.Action{Kind: profile.ActTrace, Data: 5}},
			{Names: []string{"bpf"}, Action: profile.Action{Kind: profile.ActAllow}, Includes: profile.Filter{Caps: []string{"CAP_BPF"}}},
			{Names: []string{"mount"}, Action: profile.Action{Kind: profile.ActKillProcess}, Excludes: profile.Filter{Caps: []string{"CAP_SYS_ADMIN"}}},
		},
	}
	_, losses, err := lxc.Format(p, lxc.Options{})
	var le *profile.LossError
	if !errors.As(err, &le) || !errors.Is(err, profile.ErrNotExpressible) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"LXC policies set no filter flags (SECCOMP_FILTER_FLAG_LOG); dropped",
		"LXC has no KILL_PROCESS action; default written as kill",
		"rule 2: ptrace: LXC has no TRACE(5) action; written as errno 38",
		"rule 3: bpf: LXC has no includes or excludes (includes.caps CAP_BPF); dropped, being more permissive than the default",
		"rule 4: mount: LXC has no KILL_PROCESS action; written as kill",
	}
	var got []string
	for _, l := range losses {
		got = append(got, l.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("losses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, _, err := lxc.Format(p, lxc.Options{Lossy: true})
	if err != nil {
		t.Fatal(err)
	}
	wantOut := "2\nallowlist kill\nread allow\nwrite allow\nptrace errno 38\n"
	if string(out) != wantOut {
		t.Errorf("lossy output:\n%s\nwant:\n%s", out, wantOut)
	}
	// The lossy profile is never more permissive: no call it lets run is
	// refused by the original, on any covered ABI, with or without the
	// capabilities the rules name.
	q, err := lxc.Parse("lossy", out)
	if err != nil {
		t.Fatal(err)
	}
	q, _ = q.Resolve(profile.Env{Arch: arch.X86_64})
	for _, caps := range [][]string{nil, {"CAP_BPF", "CAP_SYS_ADMIN"}} {
		orig, err := p.Resolve(profile.Env{Arch: arch.X86_64, Caps: caps})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Arches {
			for _, s := range a.Syscalls() {
				d := profile.Data{Nr: s.Nr, Arch: a.Audit()}
				x, _ := profile.Evaluate(orig, arch.X86_64, d)
				y, _ := profile.Evaluate(q, arch.X86_64, d)
				if runs(y) && !runs(x) {
					t.Errorf("caps %v, %s %s: lossy %v is more permissive than %v", caps, a, s.Name, y, x)
				}
			}
		}
	}

	// Covering fewer ABIs than LXC fails even when lossy.
	p = &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}}
	if _, _, err := lxc.Format(p, lxc.Options{Lossy: true}); err == nil || !strings.Contains(err.Error(), "native ABI only") {
		t.Errorf("native only: %v", err)
	}
}

// runs reports whether a lets the system call run without a tracer or
// supervisor deciding.
func runs(a profile.Action) bool { return a.Kind == profile.ActAllow || a.Kind == profile.ActLog }

func sorted(as []arch.Arch) []arch.Arch {
	s := slices.Clone(as)
	slices.Sort(s)
	return s
}

// TestArchesWider: an LXC policy covers each host's compat ABIs; a
// profile of x86 alone read on an x86_64 host covers x86_64 and x86, and
// the policy would cover x32 too, letting x32 calls run that the profile
// kills. That is a loss no lossy writing can help.
func TestArchesWider(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86},
		Rules: []profile.Rule{{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	for _, lossy := range []bool{false, true} {
		out, losses, err := lxc.Format(p, lxc.Options{Lossy: lossy})
		if !errors.Is(err, profile.ErrNotExpressible) || len(losses) == 0 || !strings.Contains(losses[0].What, "x32") {
			t.Errorf("lossy %v: Format = %q, %v, %v; want a loss naming x32", lossy, out, losses, err)
		}
	}
	// The same holds for every host whose coverage meets the profile's.
	for _, tc := range []struct {
		arches []arch.Arch
		ok     bool
	}{
		{[]arch.Arch{arch.X86_64, arch.X86, arch.X32}, true},
		{[]arch.Arch{arch.AARCH64, arch.ARM}, true},
		{[]arch.Arch{arch.ARM}, true}, // on aarch64: aarch64 (native) and arm, as LXC
		{[]arch.Arch{arch.X32}, false},
		{[]arch.Arch{arch.X86, arch.X86_64}, false},
	} {
		q := p.Clone()
		q.Arches = tc.arches
		_, _, err := lxc.Format(q, lxc.Options{Lossy: true})
		if (err == nil) != tc.ok {
			t.Errorf("arches %v: %v, want ok %v", tc.arches, err, tc.ok)
		}
	}
}

// TestLossyApart: an action LXC lacks is written as the nearest one it
// has; when that is the written default, which LXC skips, the rule must
// still stop the calls it stopped, before an overlapping allow.
func TestLossyApart(t *testing.T) {
	arches := []arch.Arch{arch.X86_64, arch.X86, arch.X32}
	for _, tc := range []struct{ def, exc profile.Action }{
		{profile.Action{Kind: profile.ActTrace, Data: 5}, profile.Action{Kind: profile.ActTrace, Data: 0}},
		{profile.Action{Kind: profile.ActKillThread}, profile.Action{Kind: profile.ActKillProcess}},
	} {
		p := &profile.Profile{Default: tc.def, Arches: arches, Rules: []profile.Rule{
			{Names: []string{"personality"}, Action: tc.exc, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 8}}},
			{Names: []string{"personality"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpGE, Value: 1}}},
		}}
		out, losses, err := lxc.Format(p, lxc.Options{Lossy: true})
		if err != nil || len(losses) == 0 {
			t.Fatalf("Format: %v, %v", losses, err)
		}
		q, err := lxc.Parse("x", out)
		if err != nil {
			t.Fatal(err)
		}
		q, err = q.Resolve(profile.Env{Arch: arch.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := arch.X86_64.SyscallNumber("personality")
		got, err := profile.Evaluate(q, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: [6]uint64{8}})
		if err != nil || got.Kind == profile.ActAllow || got.Kind == profile.ActLog {
			t.Errorf("%v inside an allow: personality(8) written as %v, %v\n%s", tc.exc, got, err, out)
		}
	}
}
