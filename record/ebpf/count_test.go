//go:build linux && amd64

package ebpf

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	cebpf "github.com/cilium/ebpf"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

func init() {
	testenv.Program("getppids", getppids)
}

// getppids: getppids [-pause] N [CHILD_N...] waits for a byte on its
// standard input, makes N getppid, starts a child (fork and exec of the
// test binary) for each CHILD_N that makes CHILD_N getppid, and waits for
// them. With -pause it then prints "paused", waits for another byte and
// makes N getppid more.
func getppids() {
	args := os.Args[1:]
	pause := len(args) > 0 && args[0] == "-pause"
	if pause {
		args = args[1:]
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadByte(); err != nil {
		fmt.Fprintln(os.Stderr, "wait to go:", err)
		os.Exit(3)
	}
	calls := func() {
		for range n {
			syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		}
	}
	calls()
	for _, c := range args[1:] {
		cmd := testenv.Command("getppids", c)
		cmd.Stdin = strings.NewReader("g")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(4)
		}
	}
	if pause {
		fmt.Println("paused")
		if _, err := in.ReadByte(); err != nil {
			fmt.Fprintln(os.Stderr, "wait to go on:", err)
			os.Exit(3)
		}
		calls()
	}
}

// startWaiting starts cmd, which waits for a byte on its standard input:
// the pipe's write end is returned, and its standard output.
func startWaiting(t *testing.T, cmd *exec.Cmd) (io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd.Stderr = os.Stderr
	stdin, stdout := testenv.Start(t, cmd)
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return stdin, bufio.NewReader(stdout)
}

// waitDone waits for the counter's tasks to end and returns its final
// snapshot, failing the test if the end does not come.
func waitDone(t *testing.T, c *Counter) *Snapshot {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(safety):
		t.Fatal("the counter did not see its tasks end")
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	s, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Ended {
		t.Error("the final snapshot does not say the tasks ended")
	}
	return s
}

// calls returns the count of each call of s by "abi name" (name "nr N"
// when the table has none, "abi mux:name" for a sub-call).
func counts(s *Snapshot) map[string]uint64 {
	m := map[string]uint64{}
	for _, c := range s.Calls {
		k := c.Arch.String() + " " + c.Name
		switch {
		case c.Beyond:
			k = c.Arch.String() + " beyond"
		case c.Multiplexer != "":
			k = c.Arch.String() + " " + c.Multiplexer + ":" + c.Name
		case c.Name == "":
			k = fmt.Sprintf("%s nr %d", c.Arch, c.Nr)
		}
		m[k] += c.N
	}
	return m
}

// wantComplete fails the test when s lost anything, or names no loss
// counter.
func wantComplete(t *testing.T, s *Snapshot) {
	t.Helper()
	if s.Partial {
		t.Errorf("partial: %s", s.Reason)
	}
	if len(s.Lost) == 0 {
		t.Error("no loss counter")
	}
	for _, l := range s.Lost {
		if l.Count != 0 {
			t.Errorf("lost %d: %s", l.Count, l.What)
		}
	}
}

// TestWatchPIDExact: the counter counts every getppid of a process and
// of the children it starts after the counter did, exactly; a snapshot
// does not reset the counts, and the counter sees the tree end.
func TestWatchPIDExact(t *testing.T) {
	needEngine(t)
	cmd := testenv.Command("getppids", "-pause", "1000", "700", "300")
	stdin, stdout := startWaiting(t, cmd)
	c, err := WatchPID(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if line, err := stdout.ReadString('\n'); line != "paused\n" {
		t.Fatalf("the program said %q, %v; want paused", line, err)
	}
	s, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s.Ended {
		t.Error("the snapshot says the tasks ended, but one waits")
	}
	if got := counts(s)["x86_64 getppid"]; got != 2000 {
		t.Errorf("getppid counted %d times while paused, want 2000 (1000 and children 700 and 300): %v", got, counts(s))
	}
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	s = waitDone(t, c)
	got := counts(s)
	if got["x86_64 getppid"] != 3000 {
		t.Errorf("getppid counted %d times, want 3000: %v", got["x86_64 getppid"], got)
	}
	// Named by the x86_64 table, under their numbers.
	for _, call := range s.Calls {
		if call.Name == "getppid" && (call.Arch != arch.X86_64 || call.Nr != syscall.SYS_GETPPID) {
			t.Errorf("getppid counted as %+v", call)
		}
	}
	for _, name := range []string{"execve", "exit_group", "waitid"} { // os/exec waits with waitid
		if got["x86_64 "+name] == 0 {
			t.Errorf("no %s counted: %v", name, got)
		}
	}
	wantComplete(t, s)
}

// buildCount compiles testdata/count.c with the flags.
func buildCount(t *testing.T, flags ...string) string {
	t.Helper()
	cc := testenv.Tool(t, "gcc", "gcc")
	bin := filepath.Join(t.TempDir(), "count")
	args := append(append([]string{"-O1", "-pthread"}, flags...), "-o", bin, "testdata/count.c")
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		if len(flags) > 0 {
			testenv.Missing(t, "gcc %v: %v\n%s (Debian packages gcc-multilib, libc6-dev-i386)", flags, err, out)
		}
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// TestWatchPIDForkThread: the calls of a second thread and of a child
// started with fork and no exec count too.
func TestWatchPIDForkThread(t *testing.T) {
	needEngine(t)
	cmd := exec.Command(buildCount(t), "1000")
	stdin, _ := startWaiting(t, cmd)
	c, err := WatchPID(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	s := waitDone(t, c)
	got := counts(s)
	if got["x86_64 getppid"] != 3000 {
		t.Errorf("getppid counted %d times, want 3000 (thread, thread, fork): %v", got["x86_64 getppid"], got)
	}
	for _, name := range []string{"clone", "clone3", "wait4"} {
		if name == "clone3" && got["x86_64 clone"] != 0 {
			continue // an older libc
		}
		if name == "clone" && got["x86_64 clone3"] != 0 {
			continue
		}
		if got["x86_64 "+name] == 0 {
			t.Errorf("no %s counted: %v", name, got)
		}
	}
	wantComplete(t, s)
}

// TestWatchI386: an i386 program's calls count under i386's names (its
// getppid is x86_64's semget number, 64), its socketcall and ipc as the
// sub-calls they select.
func TestWatchI386(t *testing.T) {
	needEngine(t)
	testenv.NeedI386(t)
	cmd := exec.Command(buildCount(t, "-m32", "-static"), "500")
	stdin, _ := startWaiting(t, cmd)
	c, err := WatchPID(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	s := waitDone(t, c)
	got := counts(s)
	for k, want := range map[string]uint64{
		"x86 getppid":           1500,
		"x86 socketcall:socket": 500,
		"x86 ipc:shmget":        500,
		"x86_64 semget":         0,
		"x86_64 getppid":        0,
		"x86 socketcall":        0,
	} {
		if got[k] != want {
			t.Errorf("%s counted %d times, want %d", k, got[k], want)
		}
	}
	if t.Failed() {
		t.Logf("counts: %v", got)
	}
	wantComplete(t, s)
}

// TestWatchCgroupExact: the calls of a cgroup's task and of the children
// it starts (in the cgroup too), exactly; the counter sees the cgroup
// empty.
func TestWatchCgroupExact(t *testing.T) {
	needEngine(t)
	cg := newCgroup(t) // removed after the program is killed
	cmd := testenv.Command("getppids", "1000", "500")
	stdin, _ := startWaiting(t, cmd)
	if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	c, err := WatchCgroup(cg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // reaped: the cgroup is empty
	s := waitDone(t, c)
	if got := counts(s)["x86_64 getppid"]; got != 1500 {
		t.Errorf("getppid counted %d times, want 1500: %v", got, counts(s))
	}
	wantComplete(t, s)
}

// TestWatchLoop: Watch hands out a snapshot per interval and a final one
// when the tasks end, which has every call; with Count it ends after that
// many, the last final.
func TestWatchLoop(t *testing.T) {
	needEngine(t)
	cmd := testenv.Command("getppids", "-pause", "100")
	stdin, stdout := startWaiting(t, cmd)
	c, err := WatchPID(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := stdout.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	var finals []bool
	err = c.Watch(context.Background(), WatchOptions{Interval: time.Millisecond, Count: 3}, func(s *Snapshot, final bool) error {
		finals = append(finals, final)
		if got := counts(s)["x86_64 getppid"]; got != 100 {
			t.Errorf("snapshot %d: getppid %d, want 100", len(finals), got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(finals) != "[false false true]" {
		t.Errorf("Count 3: final flags %v, want [false false true]", finals)
	}
	// Then until the end: the program goes on and ends.
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	var last *Snapshot
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	err = c.Watch(ctx, WatchOptions{Interval: time.Hour}, func(s *Snapshot, final bool) error {
		if !final {
			t.Error("a snapshot before the hour was up was not final")
		}
		last = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("Watch ended with its context, not with the tasks")
	}
	if !last.Ended || counts(last)["x86_64 getppid"] != 200 {
		t.Errorf("final snapshot: ended %v, getppid %d; want ended, 200", last.Ended, counts(last)["x86_64 getppid"])
	}
	// A callback's error ends the watch with it.
	want := fmt.Errorf("stop")
	if err := c.Watch(context.Background(), WatchOptions{}, func(*Snapshot, bool) error { return want }); err != want {
		t.Errorf("Watch returned %v, want the callback's error", err)
	}
	c.Close()
	if _, err := c.Snapshot(); err != ErrClosed {
		t.Errorf("Snapshot after Close: %v, want ErrClosed", err)
	}
}

// TestWatchErrors: a process that does not exist or has ended, and a
// directory that is not a cgroup, are errors that say so.
func TestWatchErrors(t *testing.T) {
	needEngine(t)
	if _, err := WatchPID(1 << 30); err == nil || !strings.Contains(err.Error(), "no such process") {
		t.Errorf("WatchPID of no process: %v", err)
	}
	if _, err := WatchPID(0); err == nil || !strings.Contains(err.Error(), "not a process id") {
		t.Errorf("WatchPID(0): %v", err)
	}
	if _, err := WatchCgroup(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a directory of the cgroup v2 file system") {
		t.Errorf("WatchCgroup of a plain directory: %v", err)
	}
}

// TestSnapshotNames: what the sys_enter program leaves in the counts map
// (filled here: this kernel may not run i386 programs) reads as calls
// named by each ABI's table, with i386's sub-calls, numbers no table
// names and numbers beyond the map; slot by slot and in a batch alike.
func TestSnapshotNames(t *testing.T) {
	needEngine(t)
	e, err := load(config{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Counter{e: e, start: time.Now(), ended: make(chan struct{})}
	defer e.close()
	cpus, err := cebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	set := func(slot uint32, n uint64) {
		v := make([]uint64, cpus)
		v[cpus-1] = n - n/2
		v[0] += n / 2
		if err := e.counts.Update(slot, v, cebpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	set(abiX86_64*slots+64, 1)         // semget
	set(abiI386*slots+64, 2)           // getppid
	set(abiX32*slots+39, 3)            // getpid
	set(abiX86_64*slots+beyond, 4)     // 1024 and above
	set(abiX86_64*slots+1000, 5)       // no such call
	set(socketBase+3, 6)               // connect
	set(ipcBase+23, 7)                 // shmget
	set(ipcBase+5, 8)                  // ipc call 5 selects none
	set(abiI386*slots+nrSocketcall, 9) // socketcall with a call beyond the sub-call slots
	want := fmt.Sprint([]Count{
		{Syscall{Arch: arch.X86_64, Nr: 64, Name: "semget"}, 1},
		{Syscall{Arch: arch.X86_64, Nr: 1000}, 5},
		{Syscall{Arch: arch.X86_64, Nr: beyond, Beyond: true}, 4},
		{Syscall{Arch: arch.X86, Nr: 64, Name: "getppid"}, 2},
		{Syscall{Arch: arch.X86, Nr: nrSocketcall, Name: "socketcall"}, 9},
		{Syscall{Arch: arch.X32, Nr: x32SyscallBit | 39, Name: "getpid"}, 3},
		{Syscall{Arch: arch.X86, Nr: nrSocketcall, Name: "connect", Multiplexer: "socketcall", Call: 3}, 6},
		{Syscall{Arch: arch.X86, Nr: nrIPC, Name: "ipc", Multiplexer: "ipc", Call: 5}, 8},
		{Syscall{Arch: arch.X86, Nr: nrIPC, Name: "shmget", Multiplexer: "ipc", Call: 23}, 7},
	})
	defer func(b bool) { noBatch = b }(noBatch)
	for _, batch := range []bool{true, false} {
		noBatch = !batch
		s, err := c.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(s.Calls); got != want {
			t.Errorf("batch %v:\ngot  %s\nwant %s", batch, got, want)
		}
		if s.Total() != 45 {
			t.Errorf("batch %v: total %d, want 45", batch, s.Total())
		}
	}
}

// TestSnapshotLoss: a loss counter that is not zero makes the snapshot
// partial, saying which.
func TestSnapshotLoss(t *testing.T) {
	needEngine(t)
	cmd := exec.Command("sleep", "1000")
	startWaiting(t, cmd)
	c, err := WatchPID(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	wantComplete(t, s)
	// As the programs count a kernel read that failed.
	if err := c.e.stats.Update(uint32(statReadErr), uint64(3), cebpf.UpdateAny); err != nil {
		t.Fatal(err)
	}
	if s, err = c.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if !s.Partial || s.Reason != "calls may be missing: 3 kernel reads failed" {
		t.Errorf("partial %v (%q), want partial for 3 failed reads", s.Partial, s.Reason)
	}
	if len(s.Lost) == 0 || s.Lost[0] != (record.Loss{What: "kernel reads failed", Count: 3}) {
		t.Errorf("lost %v", s.Lost)
	}
}
