package spo_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/spo"
)

// object is a SeccompProfile named name in namespace ns with base (when
// not "") and the spec lines body.
func object(name, base, body string) string {
	s := "- apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n  kind: SeccompProfile\n  metadata: {name: " + name + ", namespace: ns}\n  spec:\n"
	if base != "" {
		s += "    baseProfileName: " + base + "\n"
	}
	return s + body
}

func listOf(objs ...string) []byte {
	return []byte("apiVersion: v1\nkind: List\nitems:\n" + strings.Join(objs, ""))
}

const (
	childBody = `    defaultAction: SCMP_ACT_ERRNO
    architectures: [SCMP_ARCH_X86_64, SCMP_ARCH_X86]
    syscalls:
    - action: SCMP_ACT_ALLOW
      names: [openat, close]
    - action: SCMP_ACT_ALLOW
      names: [socket]
      args: [{index: 0, value: 1, op: SCMP_CMP_EQ}]
`
	// The base has another default and other architectures, which the
	// operator does not take, and rules the child lacks or narrows.
	baseBody = `    defaultAction: SCMP_ACT_LOG
    architectures: [SCMP_ARCH_AARCH64]
    syscalls:
    - action: SCMP_ACT_ALLOW
      names: [read, write, close]
    - action: SCMP_ACT_ALLOW
      names: [socket]
      args: [{index: 0, value: 2, op: SCMP_CMP_EQ}]
    - action: SCMP_ACT_KILL_PROCESS
      names: [ptrace]
`
	grandBody = `    defaultAction: SCMP_ACT_ERRNO
    syscalls:
    - action: SCMP_ACT_ALLOW
      names: [exit_group]
`
)

// TestResolveBase checks what the operator installs for a profile with a
// base: the profile's own spec, and on every ABI it covers a call runs
// exactly when the profile or one of its bases lets it run.
func TestResolveBase(t *testing.T) {
	items, err := spo.DecodeList("l.yaml", listOf(object("app", "runtime", childBody), object("runtime", "start", baseBody), object("start", "", grandBody)))
	if err != nil {
		t.Fatal(err)
	}
	if got := items[0].Meta.BaseProfileName; got != "runtime" {
		t.Fatalf("BaseProfileName %q", got)
	}
	if len(items[0].Profile.Rules) != 2 {
		t.Fatalf("Decode must keep the profile's own rules: %+v", items[0].Profile.Rules)
	}
	p, err := spo.Resolve(items, 0)
	if err != nil {
		t.Fatal(err)
	}
	own := items[0].Profile
	if p.Default != own.Default || fmt.Sprint(p.Arches) != fmt.Sprint(own.Arches) {
		t.Errorf("resolved default %v arches %v, want the profile's own %v %v", p.Default, p.Arches, own.Default, own.Arches)
	}
	host := arch.X86_64
	// Each input as the operator loads it: with the profile's spec.
	var inputs []*profile.Profile
	for _, it := range items {
		q := it.Profile.Clone()
		q.Default, q.Arches = own.Default, own.Arches
		inputs = append(inputs, q)
	}
	checked := 0
	for _, a := range own.Arches {
		var ds []profile.Data
		for _, q := range append(inputs, p) {
			for _, in := range proftest.Inputs(q, a) {
				ds = append(ds, profile.Data{Nr: uint32(in.Nr), Arch: in.Arch, Args: in.Args})
			}
		}
		for _, d := range ds {
			got, err := profile.Evaluate(p, host, d)
			if err != nil {
				t.Fatal(err)
			}
			want := false
			for _, q := range inputs {
				v, err := profile.Evaluate(q, host, d)
				if err != nil {
					t.Fatal(err)
				}
				want = want || v.Permits()
			}
			if got.Permits() != want {
				name, _ := a.SyscallName(d.Nr)
				t.Errorf("%s %s args %#x: resolved %v, runs in an input: %v", a, name, d.Args, got, want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d calls checked", checked)
	}
	// Spot checks by name: the union, and the child's default elsewhere.
	for _, c := range []struct {
		name string
		args [6]uint64
		runs bool
	}{
		{"read", [6]uint64{}, true},       // the base's
		{"exit_group", [6]uint64{}, true}, // the base's base's
		{"openat", [6]uint64{}, true},     // the child's
		{"socket", [6]uint64{1}, true},    // the child's condition
		{"socket", [6]uint64{2}, true},    // the base's condition
		{"socket", [6]uint64{10}, false},  // neither
		{"mount", [6]uint64{}, false},     // the child's default (ERRNO), not the base's LOG
	} {
		v, err := profile.Evaluate(p, host, profile.Data{Nr: proftest.Nr(t, host, c.name), Arch: host.Audit(), Args: c.args})
		if err != nil || v.Permits() != c.runs {
			t.Errorf("%s%v: %v %v, want runs=%v", c.name, c.args, v, err, c.runs)
		}
	}
}

func TestResolveBaseErrors(t *testing.T) {
	deep := []string{object("p0", "p1", grandBody)}
	for i := 1; i <= 16; i++ {
		deep = append(deep, object(fmt.Sprintf("p%d", i), fmt.Sprintf("p%d", i+1), grandBody))
	}
	deep = append(deep, object("p17", "", grandBody))
	for _, c := range []struct {
		name  string
		data  []byte
		want  string
		noBas bool
	}{
		{"missing", listOf(object("app", "runc-v1.2.0", childBody)), `l.yaml:8:22: baseProfileName "runc-v1.2.0": the base profile is not given: no SeccompProfile of that name in namespace ns`, true},
		{"oci", listOf(object("app", "oci://ghcr.io/security-profiles/runc:v1.2.0", childBody)), `the operator pulls it from a registry`, true},
		{"other namespace", listOf(object("app", "runtime", childBody), strings.Replace(object("runtime", "", baseBody), "namespace: ns", "namespace: other", 1)), `no SeccompProfile of that name in namespace ns`, true},
		{"self", listOf(object("app", "app", childBody)), `the base profiles form a cycle back to app`, false},
		{"cycle", listOf(object("app", "b", childBody), object("b", "app", baseBody)), `the base profiles form a cycle back to app`, false},
		{"twice", listOf(object("app", "b", childBody), object("b", "", baseBody), object("b", "", grandBody)), `2 SeccompProfiles have that name`, false},
		{"too deep", listOf(deep...), `more than 15 base profiles deep`, false},
	} {
		items, err := spo.DecodeList("l.yaml", c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, err = spo.Resolve(items, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, spo.ErrNoBase) != c.noBas {
			t.Errorf("%s: %v, want %q (ErrNoBase %v)", c.name, err, c.want, c.noBas)
		}
	}
}

// TestBaseRoundTrip: a profile with a base reads with its own rules and
// writes its baseProfileName back.
func TestBaseRoundTrip(t *testing.T) {
	in := "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: app\nspec:\n  baseProfileName: runc-v1.2.0\n  defaultAction: SCMP_ACT_ERRNO\n"
	p, m, err := spo.Decode("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := spo.Format(p, spo.Options{Meta: m})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "baseProfileName: runc-v1.2.0\n  defaultAction: SCMP_ACT_ERRNO") {
		t.Errorf("written:\n%s", out)
	}
}
