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
