package launch

import (
	"runtime"
	"syscall"
	"testing"
)

// TestOAsync: the O_ASYNC the worker's fcntl rule masks is this
// architecture's.
func TestOAsync(t *testing.T) {
	if got := oAsync(runtime.GOARCH); got != syscall.O_ASYNC {
		t.Errorf("oAsync(%s) = %#x, want %#x", runtime.GOARCH, got, syscall.O_ASYNC)
	}
}
