// Command goworker is a privilege-separation worker built without cgo,
// so the Go runtime starts its threads with its own clone(2) call rather
// than glibc's pthread_create. TestWorkerProfilePureGo runs it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/launch/internal/workerload"
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
	// Threads: every goroutine holds its own locked thread at once.
	threads := workerload.Threads(32)
	// Preemption: a loop without calls while the collector stops the world.
	workerload.Spin(1, func() {
		for range 5 {
			runtime.GC()
		}
	})
	// A fork is refused.
	_, _, e := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
	fmt.Printf("threads: %d, fork: %v\n", threads, e)
}
