package record

import (
	"context"
	"syscall"
	"testing"
	"time"

	"os"
)

func TestRelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan os.Signal)
	out, untraced := Relay(ctx, cancel, in)
	in <- syscall.SIGINT
	if s := <-out; s != syscall.SIGINT {
		t.Fatalf("relayed %v", s)
	}
	if ctx.Err() != nil {
		t.Fatal("a relayed signal ended the recording")
	}
	untraced()
	// A window change or a SIGCONT (the terminal's fg after ^Z) ends no
	// process by default, nor the recording. (The input is unbuffered:
	// the third send returns once the second was handled.)
	for _, sig := range []os.Signal{syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGWINCH} {
		select {
		case in <- sig:
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		t.Fatal("SIGWINCH or SIGCONT ended the recording")
	}
	in <- syscall.SIGTERM
	select {
	case <-ctx.Done():
	case s := <-out:
		t.Fatalf("relayed %v after untraced", s)
	case <-time.After(10 * time.Second):
		t.Fatal("a signal after untraced did not end the recording")
	}
}
