package proftest

import (
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/oci"
)

// DockerDefault returns the built-in docker-default profile resolved as
// Docker resolves it on host: Docker's default capabilities, kernel
// 6.18.0. It panics if the profile does not resolve (a bug of package
// builtin, or a host that is no architecture).
func DockerDefault(host arch.Arch) *profile.Profile {
	p, err := builtin.Get("docker-default")
	if err == nil {
		p, err = p.Resolve(profile.Env{Arch: host, Caps: oci.DefaultCaps, Kernel: "6.18.0"})
	}
	if err != nil {
		panic(fmt.Sprintf("proftest: docker-default for %s: %v", host, err))
	}
	return p
}
