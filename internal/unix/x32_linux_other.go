//go:build linux && !amd64

package unix

import "errors"

// ProbeX32 needs the x86_64 syscall instruction; other builds cannot ask.
func ProbeX32() (bool, error) {
	return false, errors.New("x32 system calls can only be probed from an x86_64 program")
}
