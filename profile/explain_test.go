package profile_test

import (
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

func TestExplainNamesTheRule(t *testing.T) {
	p := proftest.Parse(t, `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"architectures": ["SCMP_ARCH_X86_64"],
	"syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
		{"names": ["personality"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 9, "op": "SCMP_CMP_EQ"}]},
		{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"},
		{"names": ["uname"], "action": "SCMP_ACT_ALLOW"}
	]}`)
	kp := profile.Action{Kind: profile.ActKillProcess}
	for _, c := range []struct {
		name string
		abi  arch.Arch
		arg0 uint64
		want profile.Verdict
	}{
		{"write", arch.X86_64, 0, profile.Verdict{Action: allow, Rule: 0}},
		{"personality", arch.X86_64, 8, profile.Verdict{Action: allow, Rule: 1}},
		{"personality", arch.X86_64, 9, profile.Verdict{Action: logA, Rule: 2}},
		{"personality", arch.X86_64, 10, profile.Verdict{Action: eperm, Rule: profile.DecidedByDefault}},
		{"uname", arch.X86_64, 0, profile.Verdict{Action: kp, Rule: 3}}, // the first unconditional rule wins
		{"getpid", arch.X86_64, 0, profile.Verdict{Action: eperm, Rule: profile.DecidedByDefault}},
		{"uname", arch.X86, 0, profile.Verdict{Action: profile.DefaultBadArch, Rule: profile.DecidedByBadArch}},
	} {
		d := profile.Data{Nr: proftest.Nr(t, c.abi, c.name), Arch: c.abi.Audit(), Args: [6]uint64{c.arg0}}
		got, err := profile.Explain(p, arch.X86_64, d)
		if err != nil || got != c.want {
			t.Errorf("Explain(%s on %s, arg0 %d) = %+v, %v; want %+v", c.name, c.abi, c.arg0, got, err, c.want)
		}
		if a, err := profile.Evaluate(p, arch.X86_64, d); err != nil || a != got.Action {
			t.Errorf("Evaluate(%s on %s) = %v, %v; Explain said %v", c.name, c.abi, a, err, got.Action)
		}
	}
}
