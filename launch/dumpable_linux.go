package launch

import (
	"fmt"
	"syscall"
)

// Undumpable makes the calling process non-dumpable (PR_SET_DUMPABLE 0):
// a process without CAP_SYS_PTRACE, even of the same user, can then no
// longer attach to it with ptrace, nor open its /proc/PID/mem, environ or
// descriptors. A launcher that supervises its program stays outside the
// filter while the program runs; a program that could write into the
// launcher's memory would run its own code there, unfiltered. Call it
// before Start.
func Undumpable() error {
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0); e != 0 {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", e)
	}
	return nil
}
