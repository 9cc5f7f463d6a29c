//go:build libseccomp && cgo

package harden_test

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/libseccomp"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// TestDockerDefaultLibseccomp builds the hardened docker-default with
// libseccomp itself, as runc would load the profile convert --harden
// writes, and checks that its filter decides as syscage's: in particular
// that the multiplexer's MASKED_EQ denial of socketcall(SYS_SOCKET) wins
// over the EQ rule libseccomp derives from the socket rules.
func TestDockerDefaultLibseccomp(t *testing.T) {
	plain, hard := dockerDefault(t)
	for _, f := range []struct {
		name  string
		p     *profile.Profile
		plain bool
	}{{"docker-default", plain, true}, {"hardened", hard, false}} {
		prog, err := libseccomp.Build(f.p, arch.X86_64, libseccomp.Options{})
		if err != nil {
			t.Fatalf("%s: libseccomp: %v", f.name, err)
		}
		for _, c := range dockerCases {
			nr, _ := c.a.SyscallNumber(c.name)
			d := seccomp.DataFor(c.a, nr, c.args...)
			ret, _, err := bpf.NewVM(c.a.ByteOrder()).Run(prog, d.Marshal(c.a.ByteOrder()))
			if err != nil {
				t.Fatal(err)
			}
			want := c.hard
			if f.plain {
				want = c.plain
			}
			if got := seccomp.ActionOf(ret).String(); got != want {
				t.Errorf("%s built by libseccomp: %s %s(%#x): %s, want %s", f.name, c.a, c.name, c.args, got, want)
			}
		}
	}
}
