package record

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/unix"
)

// TestRecordSignalsAfterLeader: once the program's first process has
// ended, a forwarded signal goes to every traced process left (here a
// child that sleeps), which ends the recording, complete. A child that
// ignores it is killed by a second one, and the recording is then
// partial, naming it.
func TestRecordSignalsAfterLeader(t *testing.T) {
	prog := buildC(t, "orphan.c")
	for _, stops := range []bool{false, true} {
		for _, ignore := range []bool{false, true} {
			t.Run(fmt.Sprintf("stops=%v/ignore=%v", stops, ignore), func(t *testing.T) {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				defer w.Close()
				sigs := make(chan os.Signal, 2)
				o := helperOpts(t)
				o.Stops = stops
				o.Stdout = w
				o.Signals = sigs
				argv := []string{prog}
				if ignore {
					argv = append(argv, "ignore")
				}
				type out struct {
					res *Result
					err error
				}
				done := make(chan out, 1)
				go func() {
					res, err := Run(context.Background(), argv, o)
					done <- out{res, err}
				}()
				br := bufio.NewReader(r)
				line, err := br.ReadString('\n')
				var pid int
				if _, serr := fmt.Sscanf(line, "ready %d", &pid); serr != nil {
					t.Fatalf("the child says %q (%v, %v), want ready PID", line, err, serr)
				}
				// Alive and traced, so not reaped: the descriptor is of
				// the child. It guards against a test that hangs: a
				// child the signals missed is killed after a minute.
				fd, err := unix.PidfdOpen(pid)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Close(fd)
				guard := time.AfterFunc(time.Minute, func() { _ = unix.PidfdSendSignal(fd, syscall.SIGKILL) })
				defer guard.Stop()
				sigs <- syscall.SIGINT
				if ignore {
					sigs <- syscall.SIGINT
				} else if got, _ := br.ReadString('\n'); got != "signal "+strconv.Itoa(int(syscall.SIGINT))+"\n" {
					t.Errorf("the child says %q, want that it got SIGINT", got)
				}
				o2 := <-done
				if !guard.Stop() {
					t.Fatal("the forwarded signals did not reach the child")
				}
				if o2.err != nil {
					t.Fatal(o2.err)
				}
				res := o2.res
				if res.ExitCode != 0 || res.Signal != 0 {
					t.Errorf("exit %d, signal %v, want the first process's status 0", res.ExitCode, res.Signal)
				}
				rec := res.Recording
				if !rec.Has(rec.Native, "rt_sigaction") {
					t.Errorf("the child's calls are not recorded: %v", rec.Calls())
				}
				if !ignore {
					if rec.Partial {
						t.Errorf("partial: %s", rec.Reason)
					}
					return
				}
				if !rec.Partial || !strings.Contains(rec.Reason, fmt.Sprintf("process %d ", pid)) || !strings.Contains(rec.Reason, "killed") {
					t.Errorf("partial %v (%q), want partial naming process %d as killed", rec.Partial, rec.Reason, pid)
				}
			})
		}
	}
}
