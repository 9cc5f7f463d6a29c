//go:build !linux

package unix

import "syscall"

// Uname returns the kernel release and machine; ENOSYS where syscage
// does not run programs.
func Uname() (release, machine string, err error) { return "", "", syscall.ENOSYS }
