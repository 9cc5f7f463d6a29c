//go:build !linux || !amd64

package ebpf

import (
	"context"
	"fmt"
	"runtime"

	"github.com/syscage/syscage/record"
)

// Available reports why the engine cannot run here.
func Available() error {
	return fmt.Errorf("eBPF recording %w: the eBPF engine runs on linux/amd64, not %s/%s", ErrNotSupported, runtime.GOOS, runtime.GOARCH)
}

// Hook says that the engine does not run here.
func Hook() string {
	return "nothing: the eBPF engine runs on linux/amd64"
}

// Run is not supported here; see Available.
func Run(ctx context.Context, argv []string, o record.Options) (*record.Result, error) {
	return nil, Available()
}

// AttachPID is not supported here; see Available.
func AttachPID(ctx context.Context, pid int, o record.Options) (*record.Result, error) {
	return nil, Available()
}

// AttachCgroup is not supported here; see Available.
func AttachCgroup(ctx context.Context, path string, o record.Options) (*record.Result, error) {
	return nil, Available()
}

// A Counter counts system calls live; see Available.
type Counter struct{}

// WatchPID is not supported here; see Available.
func WatchPID(pid int) (*Counter, error) { return nil, Available() }

// WatchCgroup is not supported here; see Available.
func WatchCgroup(path string) (*Counter, error) { return nil, Available() }

// Done is never closed here.
func (c *Counter) Done() <-chan struct{} { return nil }

// Err is Available's error.
func (c *Counter) Err() error { return Available() }

// Snapshot is not supported here.
func (c *Counter) Snapshot() (*Snapshot, error) { return nil, Available() }

// Watch is not supported here.
func (c *Counter) Watch(ctx context.Context, o WatchOptions, f func(s *Snapshot, final bool) error) error {
	return Available()
}

// Close does nothing here.
func (c *Counter) Close() {}
