package oci_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
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
		codec)
}

// codec reads and writes OCI JSON, for the round trips.
var codec = formattest.Codec[struct{}]{
	Parse:  formattest.NoMeta(oci.Parse),
	Format: func(p *profile.Profile, _ struct{}) ([]byte, error) { return oci.Format(p) },
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
	formattest.Refuses(t, "p.json", oci.Parse, []struct{ In, Want string }{
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
			`p.json:1:78: both name and names are set (moby refuses such a rule); use names`},
		// name first: names used to replace it silently.
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "ptrace", "names": ["read"], "action": "SCMP_ACT_ERRNO"}]}`,
			`p.json:1:78: both name and names are set (moby refuses such a rule); use names`},
		// A C string ends at NUL: runc and LXC would read "ptrace".
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "ptrace\u0000 (hidden)"], "action": "SCMP_ACT_ALLOW"}]}`,
			`p.json:1:69: invalid profile: system-call name "ptrace\x00 (hidden)" holds a NUL byte: runc and LXC read it as "ptrace"; write that name alone`},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "\u0000ptrace", "action": "SCMP_ACT_ALLOW"}]}`,
			`p.json:1:59: invalid profile: system-call name "\x00ptrace" holds a NUL byte: runc and LXC read it as ""; write that name alone`},
		// moby compares arches with its own spelling of the host only.
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "includes": {"arches": ["x86_64"]}}]}`,
			`p.json:1:120: moby compares arches with the host's name as it spells it, "amd64" on x86_64 hosts; "x86_64" never matches: write "amd64"`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "excludes": {"arches": ["amd64", "mipsle"]}}]}`,
			`p.json:1:129: moby compares arches with the host's name as it spells it, "mipsel" on mipsel hosts; "mipsle" never matches: write "mipsel"`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "excludes": {"arches": ["mips"]}}]}`,
			`p.json:1:120: moby has no name for mips hosts, so "mips" never matches there; remove it`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "excludes": {"arches": ["loong64"]}}]}`,
			`p.json:1:120: moby compares arches with the host's name as it spells it, "loongarch64" on loongarch64 hosts; "loong64" never matches: write "loongarch64"`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_MIPSEL", "subArchitectures": ["SCMP_ARCH_MIPSEL64"]}]}`,
			`p.json:1:49: moby never applies the archMap entry of SCMP_ARCH_MIPSEL (on mipsel hosts it finds none), so its subArchitectures would not be covered; list the ABIs in architectures instead`},
		// libseccomp refuses to mix byte orders (EDOM).
		{`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"]}`,
			`p.json:1:75: invalid profile: x86_64 is little-endian and s390x big-endian: libseccomp refuses a filter that mixes byte orders (seccomp_arch_add: EDOM)`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_PPC64LE", "subArchitectures": ["SCMP_ARCH_PPC"]}]}`,
			`p.json:1:49: invalid profile: ppc64le is little-endian and ppc big-endian: libseccomp refuses a filter that mixes byte orders (seccomp_arch_add: EDOM)`},
		// runc ignores Docker's fields in config.json.
		{`{"ociVersion": "1.2.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}}}`,
			`p.json:1:143: "includes" in syscalls[0] of an OCI config.json: the field is Docker's, and runc ignores it there; write the profile as runc reads it (names, no includes, excludes or archMap)`},
		{`{"ociVersion": "1.2.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW"}]}}}`,
			`p.json:1:96: "name" in syscalls[0] of an OCI config.json: the field is Docker's, and runc ignores it there; write the profile as runc reads it (names, no includes, excludes or archMap)`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "includes": {"arches": ["amd65"]}}]}`,
			`p.json:1:120: unknown architecture "amd65" (want one of x86, amd64, x32, arm, arm64, loongarch64, mipsel, mips64, mipsel64, mips64n32, mips3l64n32, ppc, ppc64, ppc64le, riscv64, s390, s390x)`},
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
	})
}

func TestDefaultCaps(t *testing.T) {
	if len(oci.DefaultCaps) != 14 || oci.DefaultCaps[0] != "CAP_CHOWN" || oci.DefaultCaps[13] != "CAP_AUDIT_WRITE" {
		t.Errorf("DefaultCaps = %v", oci.DefaultCaps)
	}
}

// TestNameAndNames: moby refuses a rule with both name and names (see
// TestErrors), but an empty names beside name is no names at all.
func TestNameAndNames(t *testing.T) {
	for _, in := range []string{
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "ptrace", "names": [], "action": "SCMP_ACT_ERRNO"}]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "name": "ptrace", "action": "SCMP_ACT_ERRNO"}]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": null, "name": "ptrace", "action": "SCMP_ACT_ERRNO"}]}`,
	} {
		p, err := oci.Parse("p.json", []byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := p.Rules[0].Names; len(got) != 1 || got[0] != "ptrace" {
			t.Errorf("%s: names %q, want [ptrace]", in, got)
		}
	}
}

// TestMobyArches: moby keeps a rule by comparing includes and excludes
// arches with its own spelling of the host, exactly.
func TestMobyArches(t *testing.T) {
	in := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
		{"names": ["modify_ldt"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x32"]}},
		{"names": ["cacheflush"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["mipsel", "loongarch64", "mips3l64n32"]}},
		{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["x86"]}}]}`
	p, err := oci.Parse("p.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[arch.Arch][]string{
		arch.X86_64:      {"arch_prctl", "ptrace"},
		arch.X86:         {},
		arch.MIPSEL:      {"cacheflush", "ptrace"},
		arch.LOONGARCH64: {"cacheflush", "ptrace"},
		arch.MIPSEL64N32: {"cacheflush", "ptrace"},
	} {
		r, err := p.Resolve(profile.Env{Arch: host})
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, rule := range r.Rules {
			got = append(got, rule.Names...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s host: rules %v, want %v", host, got, want)
		}
	}
	out, err := oci.Format(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"mips3l64n32"`) || !strings.Contains(string(out), `"loongarch64"`) {
		t.Errorf("Format does not write moby's spellings:\n%s", out)
	}
	// moby has no name for a mips (o32 big-endian) host.
	p.Rules[0].Includes.Arches = []arch.Arch{arch.MIPS}
	if _, err := oci.Format(p); !errors.Is(err, profile.ErrNotExpressible) {
		t.Errorf("Format with includes.arches mips: %v, want ErrNotExpressible", err)
	}
}
