package record

import (
	"context"
	"os"
	"sync/atomic"
	"syscall"
)

// Relay passes the signals of in (what signal.Notify delivers for
// ForwardSignals) on to the returned channel, for Options.Signals, until
// ctx ends; a signal that finds the channel full is dropped. Once
// untraced has been called (from Options.OnUntraced: the program has
// ended and only tasks outside the trace remain, which no signal is
// forwarded to), a signal that ends a process by default calls cancel
// instead, ending the recording (a window change or a SIGCONT does not).
func Relay(ctx context.Context, cancel context.CancelFunc, in <-chan os.Signal) (out <-chan os.Signal, untraced func()) {
	var gone atomic.Bool
	fwd := make(chan os.Signal, 8)
	go func() {
		for {
			select {
			case s := <-in:
				if gone.Load() {
					if s != syscall.SIGWINCH && s != syscall.SIGCONT {
						cancel()
					}
					continue
				}
				select {
				case fwd <- s:
				default:
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return fwd, func() { gone.Store(true) }
}
