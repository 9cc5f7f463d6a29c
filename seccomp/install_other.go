//go:build !linux

package seccomp

import "github.com/syscage/syscage/bpf"

// InstallProgram is not supported off Linux.
func InstallProgram(p bpf.Program, o InstallOptions) (Installed, error) {
	return Installed{ListenerFD: -1}, ErrNotSupported
}
