//go:build !linux

package launch

// Undumpable does nothing where the launch cannot run.
func Undumpable() error { return nil }
