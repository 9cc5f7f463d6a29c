package oci_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/syscage/syscage/internal/formattest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRoundTrip checks Format(Parse(x)) against testdata/x.golden and
// Parse(Format(p)) == p.
func TestRoundTrip(t *testing.T) {
	formattest.RoundTrip(t, formattest.Glob(t, "testdata/*.json"),
		func(f string) string { return strings.TrimSuffix(f, ".json") + ".golden" }, *update, 1,
		formattest.Codec[struct{}]{
			Parse:  formattest.NoMeta(oci.Parse),
			Format: func(p *profile.Profile, _ struct{}) ([]byte, error) { return oci.Format(p) },
		})
}

// TestDockerDefaultVerbatim checks that Format reproduces moby's own file
// byte for byte.
func TestDockerDefaultVerbatim(t *testing.T) {
	data, err := os.ReadFile("testdata/docker-default.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := oci.Parse("docker-default.json", data)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := oci.Format(p)
	if !bytes.Equal(out, data) {
		t.Error("Format(Parse(docker-default.json)) is not the file itself")
	}
}

func TestConfig(t *testing.T) {
	data, _ := os.ReadFile("testdata/config.json")
	p, err := oci.Parse("config.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Default != (profile.Action{Kind: profile.ActErrno, Data: 38}) || len(p.Rules) != 1 || len(p.Arches) != 2 {
		t.Errorf("config.json: %+v", p)
	}
	_, err = oci.Parse("c.json", []byte(`{"ociVersion":"1.0.0","linux":{}}`))
	if err == nil || !strings.Contains(err.Error(), "no linux.seccomp") {
		t.Errorf("config without seccomp: %v", err)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"defaultAction": "SCMP_ACT_ALOW"}`,
			`p.json:1:19: unknown action "SCMP_ACT_ALOW" (want one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_LOG, SCMP_ACT_NOTIFY, SCMP_ACT_TRACE, SCMP_ACT_TRAP)`},
		{"{\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\",\n\t\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\",\n\t\t\"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
			`p.json:4:22: argument index 6 out of range 0..5`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "errnoRet": 1}]}`,
			`p.json:1:108: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_LOG`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQQ"}]}]}`,
			`p.json:1:138: unknown operator "SCMP_CMP_EQQ" (want one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_65"]}`,
			`p.json:1:55: unknown architecture "SCMP_ARCH_X86_65" (want one of SCMP_ARCH_X86, SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_ARM, SCMP_ARCH_AARCH64, SCMP_ARCH_LOONGARCH64, SCMP_ARCH_M68K, SCMP_ARCH_MIPS, SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PARISC, SCMP_ARCH_PARISC64, SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE, SCMP_ARCH_RISCV64, SCMP_ARCH_S390, SCMP_ARCH_S390X, SCMP_ARCH_SH, SCMP_ARCH_SHEB)`},
		{"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"read\"] \"action\": \"SCMP_ACT_LOG\"}]}",
			`p.json:2:34: unexpected character '"', expected ',' or '}'`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "defaultActon": 1}`,
			`p.json:1:37: unknown field "defaultActon" in the profile (did you mean "defaultAction"?)`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "Args": []}]}`,
			`p.json:1:96: unknown field "Args" in syscalls[0] (did you mean "args"?)`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_LOG"}`,
			`p.json:1:37: duplicate field "defaultAction" in the profile`},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4095}`,
			`p.json:1:56: defaultErrnoRet 4095 out of range 0..4094 (libseccomp refuses larger errno values)`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": -1, "op": "SCMP_CMP_EQ"}]}]}`,
			`p.json:1:117: argument index must be a whole number 0..5, not -1`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}]}`,
			`p.json:1:129: value 18446744073709551616 out of range 0..18446744073709551615`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "name": "write", "action": "SCMP_ACT_LOG"}]}`,
			`p.json:1:78: both name and names are set; use names`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "includes": {"arches": ["amd65"]}}]}`,
			`p.json:1:120: unknown architecture "amd65" (want one of x86, amd64, x32, arm, arm64, loong64, m68k, mips, mipsle, mips64, mipsel64, mips64n32, mipsel64n32, parisc, parisc64, ppc, ppc64, ppc64le, riscv64, s390, s390x, sh, sheb)`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "excludes": {"minKernel": "4"}}]}`,
			`p.json:1:122: invalid profile: invalid kernel version "4", expected "<kernel>.<major>"`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86"}]}`,
			`p.json:1:84: both architectures and archMap are set; use one of them`},
		{`{"syscalls": []}`, `p.json:1:1: defaultAction is missing`},
		{`[1]`, `p.json:1:1: a seccomp profile is a JSON object, not an array`},
		{``, `p.json:1:1: unexpected end of input, expected a value`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_LOG"}]}`,
			`p.json:1:50: syscalls[0] names no system call`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOGG"]}`,
			`p.json:1:47: unknown flag "SECCOMP_FILTER_FLAG_LOGG" (want one of SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)`},
		{`{"defaultAction": 1}`, `p.json:1:19: action must be a string, not a number`},
	} {
		p, err := oci.Parse("p.json", []byte(tc.in))
		if p != nil || err == nil {
			t.Errorf("%s: no error", tc.in)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, err, tc.want)
		}
		var se *profile.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: %T is not a *profile.SyntaxError", tc.in, err)
		}
	}
}

func TestDefaultCaps(t *testing.T) {
	if len(oci.DefaultCaps) != 14 || oci.DefaultCaps[0] != "CAP_CHOWN" || oci.DefaultCaps[13] != "CAP_AUDIT_WRITE" {
		t.Errorf("DefaultCaps = %v", oci.DefaultCaps)
	}
}
