//go:build !linux

package launch

import (
	"fmt"

	"github.com/syscage/syscage/seccomp"
)

// closeInherited is not supported: which descriptors a process inherited
// is read from Linux's /proc.
func closeInherited(from int) error {
	return fmt.Errorf("close inherited descriptors: %w", seccomp.ErrNotSupported)
}
