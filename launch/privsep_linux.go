package launch

import "github.com/syscage/syscage/internal/unix"

// closeInherited closes the descriptors from `from` up that the process
// inherited across execve (see unix.Inherited).
func closeInherited(from int) error { return unix.CloseInherited(from) }
