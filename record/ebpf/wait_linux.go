//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
)

// waiter sleeps until the kernel reports an event on one of its
// descriptors (a process descriptor that ends, a ring buffer with data,
// an inotify descriptor with a change) or the context ends: the end of
// a recording follows kernel events, not a timer.
type waiter struct {
	ep int
	// wake is the read end of a pipe written when the context ends.
	wake, wakeW int
	stop        func() bool
	events      []syscall.EpollEvent
	// mu keeps the context's wake-up from writing to a closed pipe.
	mu     sync.Mutex
	closed bool
}

func newWaiter(ctx context.Context) (*waiter, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll: %w", err)
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(ep)
		return nil, fmt.Errorf("pipe: %w", err)
	}
	w := &waiter{ep: ep, wake: p[0], wakeW: p[1], events: make([]syscall.EpollEvent, 16)}
	if err := w.add(w.wake); err != nil {
		w.close()
		return nil, err
	}
	w.stop = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.closed {
			_, _ = syscall.Write(w.wakeW, []byte{0})
		}
	})
	return w, nil
}

// add makes fd one of the descriptors whose readability wakes wait.
func (w *waiter) add(fd int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(w.ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll: watch descriptor %d: %w", fd, err)
	}
	return nil
}

// remove undoes add (before fd is closed).
func (w *waiter) remove(fd int) {
	_ = syscall.EpollCtl(w.ep, syscall.EPOLL_CTL_DEL, fd, nil)
}

// wait blocks until a descriptor is readable or the context has ended,
// and returns the descriptors readable and whether the context ended.
func (w *waiter) wait() (ready []int, done bool, err error) {
	for {
		n, err := syscall.EpollWait(w.ep, w.events, -1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("epoll: %w", err)
		}
		for _, ev := range w.events[:n] {
			if int(ev.Fd) == w.wake {
				done = true
				continue
			}
			ready = append(ready, int(ev.Fd))
		}
		return ready, done, nil
	}
}

func (w *waiter) close() {
	if w.stop != nil {
		w.stop()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	syscall.Close(w.ep)
	syscall.Close(w.wake)
	syscall.Close(w.wakeW)
}
