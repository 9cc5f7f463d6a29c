//go:build linux

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
	recebpf "github.com/syscage/syscage/record/ebpf"
)

func init() {
	testenv.ProgramOnPath("callloop", callLoopMain)
}

// callLoopMain: callloop [-comm NAME] [-wait FIFO] N SYSCALL [CHILD_N...]
// makes N raw calls of SYSCALL (no arguments), then starts itself for
// each CHILD_N (fork and exec), which makes CHILD_N of them, and waits for
// them. -comm names the process NAME (Go-quoted: "\x1b" is an escape),
// -wait creates FIFO.ready and then waits until FIFO is opened for
// writing and closed, before any call.
func callLoopMain() {
	args := os.Args[1:]
	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "callloop: "+format+"\n", a...)
		os.Exit(2)
	}
	wait := ""
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-comm":
			name, err := strconv.Unquote(`"` + args[1] + `"`)
			if err != nil {
				fail("-comm %s: %v", args[1], err)
			}
			// /proc/self/comm is the thread group leader's, which
			// /proc/PID/comm shows.
			if err := os.WriteFile("/proc/self/comm", []byte(name), 0); err != nil {
				fail("%v", err)
			}
		case "-wait":
			wait = args[1]
		default:
			fail("unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) < 2 {
		fail("usage: callloop [-comm NAME] [-wait FIFO] N SYSCALL [CHILD_N...]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		fail("%v", err)
	}
	host, _ := arch.Native()
	nr, ok := host.SyscallNumber(args[1])
	if !ok {
		fail("no system call %s on %s", args[1], host)
	}
	if wait != "" {
		if err := os.WriteFile(wait+".ready", nil, 0o644); err != nil {
			fail("%v", err)
		}
		b, err := os.ReadFile(wait) // returns when the writer closes
		if err != nil {
			fail("%v (%q)", err, b)
		}
	}
	for range n {
		syscall.RawSyscall(uintptr(nr), 0, 0, 0)
	}
	for _, c := range args[2:] {
		cmd := exec.Command("callloop", c, args[1])
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fail("child: %v", err)
		}
	}
}

// TestCountPrinter: counts that may be short make watch exit 1, saying
// why; with --top the terminal shows the busiest rows, redrawn in place.
func TestCountPrinter(t *testing.T) {
	s := viewSnapshot()
	var out bytes.Buffer
	p := &countPrinter{e: &env{stdout: &out}, view: recebpf.View{Who: "w"}, term: true, top: 2}
	if err := p.print(s, false); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.HasPrefix(got, "\x1b[H\x1b[2J") || !strings.Contains(got, "semget(1)\n(2 more)\n") || strings.Contains(got, "socket") {
		t.Errorf("terminal block:\n%q", got)
	}
	// The counts may be short: watch exits 1, saying why.
	var ee *exitError
	if err := p.short(); !errors.As(err, &ee) || ee.code != ExitFinding || !strings.Contains(err.Error(), "may be short: calls may be missing: 3 runs") {
		t.Errorf("after a loss: %v, want exit %d saying why", err, ExitFinding)
	}
	complete := *s
	complete.Partial, complete.Reason = false, ""
	p = &countPrinter{e: &env{stdout: &out}, json: true}
	if err := p.print(&complete, true); err != nil {
		t.Fatal(err)
	}
	if err := p.short(); err != nil {
		t.Errorf("without a loss: %v", err)
	}
}

// viewSnapshot is a snapshot of four calls (record/ebpf's TestView
// checks the rendering of every kind) whose counts may be short.
func viewSnapshot() *recebpf.Snapshot {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	calls := []recebpf.Count{}
	for i, n := range []string{"getppid", "semget", "read", "socket"} {
		calls = append(calls, recebpf.Count{Syscall: recebpf.Syscall{Arch: arch.X86_64, Nr: uint32(i), Name: n}, N: uint64(10 - i)})
	}
	return &recebpf.Snapshot{Start: start, Time: start.Add(2 * time.Second), Calls: calls,
		Lost: []record.Loss{{What: "runs of the sys_enter program the kernel skipped", Count: 3}}, Partial: true,
		Reason: "calls may be missing: 3 runs of the sys_enter program the kernel skipped"}
}
