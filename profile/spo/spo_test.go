package spo_test

import (
	"errors"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/formattest"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/spo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestRoundTrip(t *testing.T) {
	formattest.RoundTrip(t, formattest.Glob(t, "testdata/*.yaml"),
		func(f string) string { return strings.TrimSuffix(f, ".yaml") + ".golden" }, *update, 1,
		codec)
}

// codec reads and writes SeccompProfiles, for the round trips.
var codec = formattest.Codec[spo.Meta]{
	Parse: spo.Decode,
	Format: func(p *profile.Profile, m spo.Meta) ([]byte, error) {
		return formattest.Lossless(spo.Format(p, spo.Options{Meta: m}))
	},
}

func TestParse(t *testing.T) {
	data, _ := os.ReadFile("testdata/nginx.yaml")
	p, meta, err := spo.Decode("nginx.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	want := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Arches:  []arch.Arch{arch.X86_64, arch.X86},
		Flags:   []string{"SECCOMP_FILTER_FLAG_LOG"},
		Rules: []profile.Rule{
			{Names: []string{"accept4", "read", "write", "exit_group"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"mount"}, Action: profile.Action{Kind: profile.ActErrno, Data: 13}},
			{Names: []string{"personality"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{
				{Arg: 0, Op: profile.OpEQ, Value: 8}, {Arg: 1, Op: profile.OpMaskedEQ, Value: 255, ValueTwo: 16}}},
		},
	}
	if !reflect.DeepEqual(p, want) || meta != (spo.Meta{Name: "nginx", Namespace: "web"}) {
		t.Errorf("got %+v %+v\nwant %+v", p, meta, want)
	}
}

func TestErrors(t *testing.T) {
	head := "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: x\nspec:\n"
	formattest.Refuses(t, "p.yaml", spo.Parse, []struct{ In, Want string }{
		{head + "  defaultAction: SCMP_ACT_ALOW\n", `p.yaml:6:18: unknown action "SCMP_ACT_ALOW"...`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  syscall: []\n", `p.yaml:7:3: unknown field "syscall" in spec (did you mean "syscalls"?)`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  zzz: []\n", `p.yaml:7:3: unknown field "zzz" in spec (want one of...`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  DefaultAction: SCMP_ACT_ERRNO\n", `p.yaml:7:3: unknown field "DefaultAction" in spec (did you mean "defaultAction"?)`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    args:\n    - index: 6\n      op: SCMP_CMP_EQ\n", `p.yaml:11:14: argument index 6 out of range 0..5`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    errnoRet: 1\n", `p.yaml:10:15: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE...`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    args:\n    - index: 0\n      op: SCMP_CMP_EQQ\n", `p.yaml:12:11: unknown operator "SCMP_CMP_EQQ"...`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  architectures: [SCMP_ARCH_X86_65]\n", `p.yaml:7:19: unknown architecture "SCMP_ARCH_X86_65"...`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  baseProfileName: runc-v1.1.5\n", `p.yaml:7:20: baseProfileName "runc-v1.1.5": the base profile is not given: no SeccompProfile of that name in namespace default...`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  baseProfileName: \"\"\n", `p.yaml:7:20: baseProfileName is empty`},
		{head + "  architectures: []\n", `p.yaml:6:3: spec.defaultAction is missing`},
		{"apiVersion: v1\nkind: Pod\n", `p.yaml:2:7: kind must be SeccompProfile`},
		{"kind: SeccompProfile\napiVersion: security-profiles-operator.x-k8s.io/v1alpha1\n", `p.yaml:2:13: apiVersion must be security-profiles-operator.x-k8s.io/v1beta1...`},
		{head + "  defaultAction: [x\n", `p.yaml:5: did not find expected ',' or ']'`},
		{"", `p.yaml:1:1: empty document...`},
		{head + "  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - names: [read, \"ptrace\\0 (hidden)\"]\n    action: SCMP_ACT_ALLOW\n", `p.yaml:8:19: invalid profile: system-call name "ptrace\x00 (hidden)" holds a NUL byte: runc and LXC read it as "ptrace"...`},
	})
}

// TestDockerDefault: Docker's default profile resolved for x86_64 goes
// through a SeccompProfile with the same verdicts (the resolved profile
// has nothing the spec lacks but the default's errno, which is EPERM).
func TestDockerDefault(t *testing.T) {
	r := proftest.DockerDefault(arch.X86_64)
	out, losses, err := spo.Format(r, spo.Options{Meta: spo.Meta{Name: "docker-default"}})
	if err != nil {
		t.Fatal(err, losses)
	}
	q, err := spo.Parse("docker.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := formattest.SameVerdicts(r, q, arch.X86_64); err != nil || n < 1000 {
		t.Fatalf("%d compared: %v", n, err)
	}
	// Unresolved, the includes and excludes are losses.
	d, _ := builtin.Get("docker-default")
	_, losses, err = spo.Format(d, spo.Options{Meta: spo.Meta{Name: "docker-default"}})
	if !errors.Is(err, profile.ErrNotExpressible) || len(losses) < 5 {
		t.Errorf("unresolved docker-default: %v, %d losses", err, len(losses))
	}
}

func TestPodSnippet(t *testing.T) {
	got := string(spo.PodSnippet(spo.Meta{Name: "nginx", Namespace: "web"}))
	want := `# Run the pod (or one container) under the SeccompProfile web/nginx;
# the security-profiles-operator installs it on every node.
securityContext:
  seccompProfile:
    type: Localhost
    localhostProfile: operator/web/nginx.json
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestLossyDefaultErrno: a SeccompProfile cannot hold a default errno, so
// the default becomes EPERM; a rule ERRNO(1) inside an ALLOW would then
// equal the default, which runc skips, and the ALLOW would let the calls
// it denied run. The written profile must deny them still.
func TestLossyDefaultErrno(t *testing.T) {
	allow := profile.Action{Kind: profile.ActAllow}
	eperm := profile.Action{Kind: profile.ActErrno, Data: 1}
	// A default whose data is 0 is written with 1: the exception's own.
	for _, def := range []profile.Action{{Kind: profile.ActErrno, Data: 13}, {Kind: profile.ActTrace, Data: 7}, {Kind: profile.ActTrace}, {Kind: profile.ActErrno}} {
		exc := eperm
		if def.Kind == profile.ActTrace {
			exc = profile.Action{Kind: profile.ActTrace, Data: 1}
		}
		p := &profile.Profile{Default: def, Arches: []arch.Arch{arch.X86_64}, Rules: []profile.Rule{
			{Names: []string{"personality"}, Action: exc, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 8}}},
			{Names: []string{"personality"}, Action: allow},
			// The default's own action: skipped by runc, and it must not
			// come back under the written default.
			{Names: []string{"personality"}, Action: def, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 9}}},
		}}
		// An unconditional allow after a conditional rule: libseccomp
		// keeps the allow only; so put the exception's ALLOW as a range.
		p.Rules[1].Conds = []profile.Cond{{Arg: 0, Op: profile.OpGE, Value: 1}}
		out, losses, err := spo.Format(p, spo.Options{Meta: spo.Meta{Name: "x"}, Lossy: true})
		if err != nil || len(losses) == 0 {
			t.Fatalf("Format: %v, losses %v", err, losses)
		}
		q, err := spo.Parse("x.yaml", out)
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := arch.X86_64.SyscallNumber("personality")
		for _, arg := range []uint64{8, 9, 10} {
			d := profile.Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: [6]uint64{arg}}
			want, _ := profile.Evaluate(p, arch.X86_64, d)
			got, err := profile.Evaluate(q, arch.X86_64, d)
			if err != nil || (got == allow) != (want == allow) {
				t.Errorf("default %v: personality(%d) written as %v, %v; the profile gives %v\n%s", def, arg, got, err, want, out)
			}
		}
	}
}

// TestLossyErrnoZero: errnoRet 0 cannot be written; as EPERM a rule may
// equal the default, which runc skips: it must still stop the call.
func TestLossyErrnoZero(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86_64}, Rules: []profile.Rule{
		{Names: []string{"personality"}, Action: profile.Action{Kind: profile.ActErrno}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 8}}},
		{Names: []string{"personality"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpGE, Value: 1}}},
	}}
	out, _, err := spo.Format(p, spo.Options{Meta: spo.Meta{Name: "x"}, Lossy: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := spo.Parse("x.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := arch.X86_64.SyscallNumber("personality")
	got, err := profile.Evaluate(q, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: [6]uint64{8}})
	if err != nil || got.Kind != profile.ActErrno {
		t.Errorf("personality(8) written as %v, %v; want an errno\n%s", got, err, out)
	}
}
