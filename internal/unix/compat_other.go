//go:build !linux

package unix

// ProbeI386 reports false: only Linux runs i386 programs through syscage.
func ProbeI386() (bool, error) { return false, nil }
