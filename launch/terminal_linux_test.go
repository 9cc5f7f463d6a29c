package launch_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
)

func init() {
	testenv.Program("tiocsti", targetTIOCSTI)
	testenv.Program("tty-launcher", targetTTYLauncher)
}

// targetTIOCSTI pushes a command into the input of its standard input's
// terminal with TIOCSTI, as a program that wants to escape its sandbox
// through the caller's shell does, and prints the errno.
func targetTIOCSTI() {
	s := []byte("echo INJECTED\n")
	errno := 0
	for i := range s {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, 0, syscall.TIOCSTI, uintptr(unsafe.Pointer(&s[i]))); e != 0 {
			errno = int(e)
			break
		}
	}
	fmt.Printf("tiocsti errno %d\n", errno)
}

// ttyReport is what targetTTYLauncher writes on descriptor 3, one JSON
// object a line.
type ttyReport struct {
	Step   string
	Out    string // the program's output
	Err    string // Run's error
	Queued int    // bytes waiting in the terminal's input afterwards
	Code   int    // the program's exit code
	Pid    int    // the program's process id
}

// targetTTYLauncher runs with a terminal as stdin and as the controlling
// terminal of its session, as a user's shell does. It launches the
// tiocsti target without CAP_SYS_ADMIN, reports what reached the
// terminal's input; then launches a program that waits, with signal
// forwarding, for the terminal's ^C.
func targetTTYLauncher() {
	report := json.NewEncoder(os.NewFile(3, "report"))
	allow := denyUnameProfile()
	cmd := launch.Command(allow, os.Args[0])
	cmd.Env = []string{testenv.Env("tiocsti")}
	cmd.Stdin = os.Stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.DropCaps = true
	err := cmd.Run()
	var n int32
	syscall.Syscall(syscall.SYS_IOCTL, 0, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	report.Encode(ttyReport{Step: "tiocsti", Out: out.String(), Err: fmt.Sprint(err), Queued: int(n)})

	cmd = launch.Command(allow, "sleep", "20")
	cmd.Stdin = os.Stdin
	cmd.ForwardSignals = true
	if err := cmd.Start(); err != nil {
		report.Encode(ttyReport{Step: "start", Err: err.Error()})
		return
	}
	report.Encode(ttyReport{Step: "started", Pid: cmd.Process.Pid})
	err = cmd.Wait()
	report.Encode(ttyReport{Step: "interrupted", Err: fmt.Sprint(err), Code: cmd.Status.ExitCode()})
}

// openPTY returns the master and the slave of a new pseudo-terminal.
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	var unlock int32
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// The program runs in a session of its own: it cannot push input into
// the terminal of the session that launched it (bubblewrap's
// CVE-2017-5226), and the terminal's ^C reaches it through the launcher.
func TestTerminal(t *testing.T) {
	master, slave := openPTY(t)
	defer master.Close()
	go func() {
		// Drain the terminal's output (the echo of what is typed).
		buf := make([]byte, 4096)
		for {
			if _, err := master.Read(buf); err != nil {
				return
			}
		}
	}()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := testenv.Command("tty-launcher")
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.ExtraFiles = []*os.File{w}
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	w.Close()
	defer c.Wait()
	timer := time.AfterFunc(time.Minute, func() { c.Process.Kill() })
	defer timer.Stop()
	lines := bufio.NewScanner(r)
	next := func() ttyReport {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("the launcher ended early: %v", lines.Err())
		}
		var rep ttyReport
		if err := json.Unmarshal(lines.Bytes(), &rep); err != nil {
			t.Fatalf("%v: %s", err, lines.Bytes())
		}
		return rep
	}

	rep := next()
	if !strings.Contains(rep.Out, "tiocsti errno") || rep.Err != "<nil>" {
		t.Fatalf("tiocsti target: %+v", rep)
	}
	if rep.Queued != 0 || !strings.Contains(rep.Out, fmt.Sprintf("tiocsti errno %d", syscall.EPERM)) {
		t.Errorf("the program pushed %d bytes into the launcher's terminal (%q); want EPERM and none", rep.Queued, rep.Out)
	}

	if rep = next(); rep.Step != "started" {
		t.Fatalf("sleep: %+v", rep)
	}
	// ^Z: the terminal stops its foreground process group, the
	// launcher's; the launcher stops the program's (which the kernel
	// would not stop with SIGTSTP: no parent in its session), then
	// itself. SIGCONT to the launcher, as the shell's fg sends, resumes
	// both.
	if _, err := master.Write([]byte{26}); err != nil {
		t.Fatal(err)
	}
	waitState(t, rep.Pid, "T", true)
	waitState(t, c.Process.Pid, "T", true)
	if err := c.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitState(t, rep.Pid, "T", false)
	waitState(t, c.Process.Pid, "T", false)

	// ^C: the terminal sends SIGINT to its foreground process group, the
	// launcher's; the program, in a session of its own, gets it from the
	// launcher.
	if _, err := master.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	if rep = next(); rep.Code != 128+int(syscall.SIGINT) {
		t.Errorf("after ^C: %+v, want the program killed by SIGINT (130)", rep)
	}
}

// waitState waits until process pid is (or, with is false, is no longer)
// in state (the third field of /proc/PID/stat).
func waitState(t *testing.T, pid int, state string, is bool) {
	t.Helper()
	var got string
	for range 200 {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(b, ')'); i >= 0 {
			got = strings.Fields(string(b[i+1:]))[0]
		}
		if (got == state) == is {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d is in state %q; want state %q: %v", pid, got, state, is)
}
