package seccomp_test

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/seccomp"
)

// TestCompileHardenedDockerDefault: hardening Docker's default profile
// (int arguments compared on their low word, socketcall and ipc decided
// per sub-call, TIOCSTI denied) costs at most a third more
// instructions (it once cost 2.7 times: hardened comparisons are one
// MASKED_EQ rule per block of values, and each compared a high word it
// masks out), and leaves every system call the kernel's action cache
// served cacheable, but for those hardening gives argument checks.
func TestCompileHardenedDockerDefault(t *testing.T) {
	for _, host := range []arch.Arch{arch.X86_64, arch.AARCH64} {
		p := proftest.DockerDefault(host)
		h, _, err := harden.Profile(p, host)
		if err != nil {
			t.Fatal(err)
		}
		f, err := seccomp.Compile(p, host, seccomp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fh, err := seccomp.Compile(h, host, seccomp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d instructions, hardened %d", host, len(f.Program), len(fh.Program))
		if max := len(f.Program) * 4 / 3; len(fh.Program) > max {
			t.Errorf("%s: hardened %d instructions, plain %d: want at most %d", host, len(fh.Program), len(f.Program), max)
		}
		for _, a := range f.Arches {
			tab, err := h.Table(a, profile.TableOptions{Decisions: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range a.Syscalls() {
				if !f.Cacheable(a, sc.Nr) || fh.Cacheable(a, sc.Nr) {
					continue
				}
				if e, ok := tab.Lookup(sc.Nr); ok && e.Conditional() {
					continue // hardening checks its arguments
				}
				t.Errorf("%s: %s is cacheable, hardened it is not", a, sc.Name)
			}
		}
	}
}
