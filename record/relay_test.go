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
	in <- syscall.SIGTERM
	select {
	case <-ctx.Done():
	case s := <-out:
		t.Fatalf("relayed %v after untraced", s)
	case <-time.After(10 * time.Second):
		t.Fatal("a signal after untraced did not end the recording")
	}
}
