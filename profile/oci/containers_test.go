package oci_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// TestContainersCommon reads containers/common's default profile as
// Debian installs it (testdata/containers/SOURCE): defaultErrno and the
// rules' errno names give the actions, and since the file keeps the
// numbers beside the names, moby's reading of it (which ignores the
// names) is the same profile.
func TestContainersCommon(t *testing.T) {
	data, err := os.ReadFile("testdata/containers/seccomp.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := oci.Parse("seccomp.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if want := (profile.Action{Kind: profile.ActErrno, Data: 38}); p.Default != want {
		t.Errorf("default %v, want %v (defaultErrno ENOSYS)", p.Default, want)
	}
	errnos := map[uint16]bool{}
	for _, r := range p.Rules {
		if r.Action.Kind == profile.ActErrno {
			errnos[r.Action.Data] = true
		}
	}
	if !errnos[1] || !errnos[22] {
		t.Errorf("rules' errnos %v, want EPERM (1) and EINVAL (22) among them", errnos)
	}

	// The file without containers/common's fields, as moby reads it.
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "defaultErrno")
	for _, r := range raw["syscalls"].([]any) {
		delete(r.(map[string]any), "errno")
	}
	moby, _ := json.Marshal(raw)
	q, err := oci.Parse("moby.json", moby)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, q) {
		t.Error("containers/common's reading of its profile differs from moby's reading of its numbers")
	}
	// And it is written in moby's form, which means the same.
	out, err := oci.Format(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := oci.Parse("out.json", out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, r) {
		t.Error("Parse(Format(p)) != p")
	}
}

// TestContainersDialect: the name wins, numbers as strings count, the
// host is spelt as libseccomp-golang spells it, archMap applies where
// containers/common applies it.
func TestContainersDialect(t *testing.T) {
	p, err := oci.Parse("p.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EACCES", "syscalls": [
		{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "12"},
		{"names": ["write"], "action": "SCMP_ACT_ERRNO", "errno": "EWOULDBLOCK"},
		{"names": ["cacheflush"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["loong64", "mipsel64n32"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Default.Data != 13 || p.Rules[0].Action.Data != 12 || p.Rules[1].Action.Data != 11 {
		t.Errorf("errnos: default %v, rules %v %v", p.Default, p.Rules[0].Action, p.Rules[1].Action)
	}
	if got := p.Rules[2].Includes.Arches; !slices.Equal(got, []arch.Arch{arch.LOONGARCH64, arch.MIPSEL64N32}) {
		t.Errorf("includes.arches %v", got)
	}
}

func TestContainersErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYSS"}`,
			`p.json:1:53: unknown errno "ENOSYSS" in defaultErrno (want a name such as EPERM or ENOSYS, or a number)`},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "defaultErrno": "ENOSYS"}`,
			`p.json:1:75: defaultErrno is 38 and defaultErrnoRet 1: containers/common uses defaultErrno, moby and runc defaultErrnoRet; make them equal`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "errno": "EPERM"}]}`,
			`p.json:1:105: errno is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_LOG`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EPERM", "includes": {"minKernel": "4.8"}}]}`,
			`p.json:1:142: includes.minKernel in a containers/common profile (one with defaultErrno or errno): containers/common has no minKernel and applies the rule on every kernel, moby only from that kernel on; remove minKernel, or defaultErrno and errno to read the file as moby's`},
		{`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EPERM", "includes": {"arches": ["loongarch64"]}}]}`,
			`p.json:1:140: unknown architecture "loongarch64": containers/common compares with libseccomp-golang's name of the host (want one of x86, amd64, x32, arm, arm64, loong64, m68k, mips, mipsel, mips64, mipsel64, mips64n32, mipsel64n32, parisc, parisc64, ppc, ppc64, ppc64le, riscv64, s390, s390x, sh, sheb)`},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EPERM", "archMap": [{"architecture": "SCMP_ARCH_X86", "subArchitectures": ["SCMP_ARCH_X86_64"]}]}`,
			`p.json:1:74: containers/common never applies the archMap entry of SCMP_ARCH_X86 (it applies archMap on x86_64, aarch64, s390x and 64-bit mips hosts only), so its subArchitectures would not be covered; list the ABIs in architectures instead`},
		{`{"ociVersion": "1.0.2", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EPERM"}}}`,
			`p.json:1:82: "defaultErrno" in the profile of an OCI config.json: the field is containers/common's, and runc ignores it there; write the number in defaultErrnoRet`},
	} {
		_, err := oci.Parse("p.json", []byte(tc.in))
		if err == nil {
			t.Errorf("%s: no error", tc.in)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, err, tc.want)
		}
		if !strings.HasPrefix(err.Error(), "p.json:1:") {
			t.Errorf("%s: error not located", tc.in)
		}
	}
}
