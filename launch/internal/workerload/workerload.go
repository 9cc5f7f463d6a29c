// Package workerload works the Go runtime of a locked-down worker hard,
// for the tests of launch.WorkerProfile: the test binary's worker and
// the worker built without cgo run the same load.
package workerload

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// Threads starts n goroutines that each hold their own locked OS thread
// at once and returns how many distinct threads they ran on.
func Threads(n int) int {
	runtime.GOMAXPROCS(4)
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
	return len(distinct)
}

// Spin runs spinners goroutines in tight loops without calls while gc
// runs (the collector's stop-the-world then needs the runtime's signal
// to its own threads), and returns when gc has returned and the spinners
// have stopped.
func Spin(spinners int, gc func()) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range spinners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
			}
		}()
	}
	gc()
	stop.Store(true)
	wg.Wait()
}
