//go:build unix

package interp

import (
	"os"
	"syscall"
)

// executable reports whether path is a regular file this process may
// execute (an execute bit it may use, on a file system that allows it).
func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && syscall.Access(path, 1 /* X_OK */) == nil
}
