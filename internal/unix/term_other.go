//go:build !linux

package unix

// TermRows reports no terminal where syscage does not run programs.
func TermRows(fd int) (int, bool) { return 0, false }
