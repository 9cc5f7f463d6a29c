//go:build !linux

package seccomp

import (
	"fmt"

	"github.com/syscage/syscage/bpf"
)

// InstallProgram needs Linux; elsewhere it returns ErrNotSupported.
func InstallProgram(p bpf.Program, o InstallOptions) (Installed, error) {
	return Installed{ListenerFD: -1}, fmt.Errorf("install filter: seccomp needs Linux: %w", ErrNotSupported)
}
