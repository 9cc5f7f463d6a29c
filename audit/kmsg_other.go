//go:build !linux

package audit

import "fmt"

type kmsgFile = struct{}

// Follow is not supported: the kernel log device is Linux's.
func Follow(o FollowOptions) (*Follower, error) {
	return nil, fmt.Errorf("follow the kernel log: %w", ErrNotSupported)
}

// Next is not supported.
func (f *Follower) Next() (Event, error) { return Event{}, ErrNotSupported }

// Close does nothing.
func (f *Follower) Close() error { return nil }

// ReadKmsg is not supported: the kernel log device is Linux's.
func ReadKmsg(path string) (events []Event, skipped []error, err error) {
	return nil, nil, fmt.Errorf("read the kernel log: %w", ErrNotSupported)
}
