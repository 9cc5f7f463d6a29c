package lxc_test

import (
	"os"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/lxc"
	"github.com/syscage/syscage/seccomp"
)

// TestDebianPolicies reads the policies Debian's LXC package installs
// (testdata/debian/SOURCE) and compiles them for x86_64; the v1 example,
// which allows a number no x86_64 call has, is refused at that line.
func TestDebianPolicies(t *testing.T) {
	for _, tc := range []struct{ file, err string }{
		{"common.seccomp", ""},
		{"seccomp-v2.conf", ""},
		{"seccomp-v2-denylist.conf", ""},
		{"seccomp-v1.conf", "seccomp-v1.conf:304:1: x86_64 has no system call 1024"},
	} {
		data, err := os.ReadFile("testdata/debian/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := lxc.Parse(tc.file, data)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %s", tc.file, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		r, err := p.Resolve(profile.Env{Arch: arch.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seccomp.Compile(r, arch.X86_64, seccomp.Options{}); err != nil {
			t.Errorf("%s: compile: %v", tc.file, err)
		}
	}
}
