package proftest

import (
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/oci"
)

// DockerDefault returns the built-in docker-default profile resolved as
// Docker resolves it on host: Docker's default capabilities, kernel
// 6.18.0.
func DockerDefault(host arch.Arch) (*profile.Profile, error) {
	p, err := builtin.Get("docker-default")
	if err != nil {
		return nil, err
	}
	return p.Resolve(profile.Env{Arch: host, Caps: oci.DefaultCaps, Kernel: "6.18.0"})
}
