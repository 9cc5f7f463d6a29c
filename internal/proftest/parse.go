package proftest

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// Parse returns the profile of the OCI JSON js, a test's own input, ending
// the test if it does not parse.
func Parse(t testing.TB, js string) *profile.Profile {
	t.Helper()
	p, err := oci.Parse("test.json", []byte(js))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

// Nr returns the number of the system call name on a, ending the test if
// a has none.
func Nr(t testing.TB, a arch.Arch, name string) uint32 {
	t.Helper()
	n, ok := a.SyscallNumber(name)
	if !ok {
		t.Fatalf("%s has no %s", a, name)
	}
	return n
}
