// Command goworker is a privilege-separation worker built without cgo,
// so the Go runtime starts its threads with its own clone(2) call rather
// than glibc's pthread_create. TestWorkerProfilePureGo runs it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/syscage/syscage/launch"
)

func main() {
	_, _, ok, err := launch.WorkerMain()
	if !ok || err != nil {
		fmt.Println("not a worker:", err)
		os.Exit(100)
	}
	if err := launch.Lockdown(launch.WorkerProfile()); err != nil {
		fmt.Println("lockdown:", err)
		os.Exit(1)
	}
	runtime.GOMAXPROCS(4)
	// Threads: every goroutine holds its own locked thread at once.
	const n = 32
	tids := make(chan int, n)
	var started, done sync.WaitGroup
	release := make(chan struct{})
	for range n {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			tids <- syscall.Gettid()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	close(release)
	done.Wait()
	close(tids)
	distinct := map[int]bool{}
	for tid := range tids {
		distinct[tid] = true
	}
	// Preemption: a loop without calls while the collector stops the world.
	var stop atomic.Bool
	spun := make(chan struct{})
	go func() {
		for !stop.Load() {
		}
		close(spun)
	}()
	for range 5 {
		runtime.GC()
	}
	stop.Store(true)
	<-spun
	// A fork is refused.
	_, _, e := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
	fmt.Printf("threads: %d, fork: %v\n", len(distinct), e)
}
