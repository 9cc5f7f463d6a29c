package audit_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Filters are never installed in the test process: the violator runs in
// a re-executed copy of the test binary (testenv.Program), installs a
// filter and makes the system calls it logs and kills.
func init() {
	testenv.Program("violator", violator)
	testenv.Program("flooder", flooder)
}

// flooder: flooder N installs violations, makes N logged unames and then
// one logged x32 getpid, and exits 0.
func flooder() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		os.Exit(2)
	}
	if _, err := seccomp.InstallProgram(violations(), seccomp.InstallOptions{Flags: seccomp.SECCOMP_FILTER_FLAG_LOG}); err != nil {
		fmt.Fprintln(os.Stderr, "install:", err)
		os.Exit(3)
	}
	var u syscall.Utsname
	for range n {
		syscall.Uname(&u)
	}
	syscall.RawSyscall(arch.X32SyscallBit|syscall.SYS_GETPID, 0, 0, 0)
	os.Exit(0)
}

func TestMain(m *testing.M) { testenv.Main(m) }

// violations is the filter of the helper, for x86_64 kernels: on x86_64,
// uname and the x32 getpid are logged (LOG); on x86, uname is logged and
// getppid kills the process; everything else is allowed. It is installed
// with SECCOMP_FILTER_FLAG_LOG.
func violations() bpf.Program {
	ld := func(k uint32) bpf.Instruction { return bpf.Instruction{Op: bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, K: k} }
	jeq := func(k uint32, jt, jf uint8) bpf.Instruction {
		return bpf.Instruction{Op: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, K: k, Jt: jt, Jf: jf}
	}
	ret := func(k uint32) bpf.Instruction { return bpf.Instruction{Op: bpf.BPF_RET | bpf.BPF_K, K: k} }
	return bpf.Program{
		/* 0 */ ld(seccomp.OffsetArch),
		/* 1 */ jeq(arch.X86_64.Audit(), 0, 5),
		/* 2 */ ld(seccomp.OffsetNr),
		/* 3 */ jeq(63, 1, 0), // uname
		/* 4 */ jeq(arch.X32SyscallBit|39, 0, 1), // x32 getpid
		/* 5 */ ret(seccomp.SECCOMP_RET_LOG),
		/* 6 */ ret(seccomp.SECCOMP_RET_ALLOW),
		/* 7 */ jeq(arch.X86.Audit(), 0, 5),
		/* 8 */ ld(seccomp.OffsetNr),
		/* 9 */ jeq(122, 3, 0), // uname
		/* 10 */ jeq(64, 0, 1), // getppid
		/* 11 */ ret(seccomp.SECCOMP_RET_KILL_PROCESS),
		/* 12 */ ret(seccomp.SECCOMP_RET_ALLOW),
		/* 13 */ ret(seccomp.SECCOMP_RET_LOG),
	}
}

// violator: violator PROG installs violations, makes the calls it logs,
// and then execs PROG (which inherits the filter), or exits 0 when PROG
// is "-".
func violator() {
	prog := os.Args[1]
	if _, err := seccomp.InstallProgram(violations(), seccomp.InstallOptions{Flags: seccomp.SECCOMP_FILTER_FLAG_LOG}); err != nil {
		fmt.Fprintln(os.Stderr, "install:", err)
		os.Exit(3)
	}
	var u syscall.Utsname
	syscall.Uname(&u)
	syscall.RawSyscall(arch.X32SyscallBit|syscall.SYS_GETPID, 0, 0, 0) // ENOSYS without x32 support: logged all the same
	if prog == "-" {
		os.Exit(0)
	}
	// The 32-bit program inherits the filter.
	err := syscall.Exec(prog, []string{prog}, os.Environ())
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(4)
}

// build32 builds the 32-bit test program, or skips when the compiler
// cannot (a failure when SYSCAGE_REQUIRE_TOOLS is set).
func build32(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "uname 32") // a space: comm and exe are hex-encoded
	b, err := exec.Command("gcc", "-m32", "-static", "-O2", "-o", out, "testdata/prog/uname32.c").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "gcc -m32 (gcc-multilib): %v\n%s", err, b)
	}
	return out
}

func skipUnlessKmsg(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("the helper's filter is for x86_64 kernels")
	}
	f, err := os.Open(audit.Kmsg)
	if err != nil {
		t.Skipf("cannot read the kernel log: %v", err)
	}
	f.Close()
}

// runViolator runs the helper child, which ends killed by SIGSYS after
// exec'ing prog (or exits 0 with prog "-"), and returns its pid.
func runViolator(t *testing.T, prog string) int {
	t.Helper()
	cmd := testenv.Command("violator", prog)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if prog == "-" {
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out)
		}
	} else if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGSYS {
		t.Fatalf("helper: %v, want death by SIGSYS\n%s", err, out)
	}
	return cmd.Process.Pid
}

type want struct {
	arch    arch.Arch
	nr      uint32
	name    string
	action  string
	compat  int // 0 or 1; -1 for either (x32 is compat only on kernels with x32 support)
	sig     int
	comm    string
	exeBase string
}

// TestFollow follows the kernel log and the audit netlink group while a
// filtered child makes logged and killed system calls on x86_64, x32 and
// (when the kernel runs i386 programs) x86, and checks the records read
// back; for the kernel log it also finds the same records in ReadKmsg's
// snapshot.
//
// The kernel log is rate-limited (printk_ratelimit: a burst of ten
// records, shared with every other test that kills or logs), so a kernel
// log attempt that misses records is repeated once the limit's interval
// has passed.
func TestFollow(t *testing.T) {
	skipUnlessKmsg(t)
	self := filepath.Base(os.Args[0])
	if len(self) > 15 {
		self = self[:15] // TASK_COMM_LEN
	}
	wants := []want{
		{arch.X86_64, 63, "uname", "LOG", 0, 0, self, filepath.Base(os.Args[0])},
		{arch.X32, arch.X32SyscallBit | 39, "getpid", "LOG", -1, 0, self, filepath.Base(os.Args[0])},
		{arch.X86, 122, "uname", "LOG", 1, 0, "uname 32", "uname 32"},
		{arch.X86, 64, "getppid", "KILL_PROCESS", 1, int(syscall.SIGSYS), "uname 32", "uname 32"},
	}
	// Without i386 programs, the child makes only its own x86_64 and x32
	// calls and exits.
	prog := "-"
	if testenv.RunsI386(t) {
		prog = build32(t)
	} else {
		wants = wants[:2]
	}
	for _, src := range []audit.Source{audit.SourceKmsg, audit.SourceNetlink} {
		t.Run(src.String(), func(t *testing.T) {
			attempts := 1
			if src == audit.SourceKmsg {
				attempts = 3
			}
			for i := 1; ; i++ {
				f, err := audit.Follow(audit.FollowOptions{Source: src})
				if err != nil {
					t.Fatal(err)
				}
				if f.Source() != src {
					t.Fatalf("source %s, want %s", f.Source(), src)
				}
				pid := runViolator(t, prog)
				got, err := collect(f, pid, len(wants), 5*time.Second)
				if err != nil && i < attempts {
					t.Logf("attempt %d: %v; the kernel log may be rate-limited, trying again", i, err)
					time.Sleep(6 * time.Second)
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				checkI386(t, "i386", got, wants)
				if src != audit.SourceKmsg {
					return
				}
				snap, _, err := audit.ReadKmsg("")
				if err != nil {
					t.Fatal(err)
				}
				// Records of this child only: the buffer may hold older
				// ones of a process that had the same pid. Serial numbers
				// only grow.
				first := got[0].Serial
				for _, e := range got {
					first = min(first, e.Serial)
				}
				var mine []audit.Event
				for _, e := range snap {
					if e.PID == pid && e.Serial >= first {
						mine = append(mine, e)
					}
				}
				checkI386(t, "i386_snapshot", mine, wants)
				return
			}
		})
	}
}

// collect reads events of pid until it has n or the time is up, and
// closes f.
func collect(f *audit.Follower, pid, n int, d time.Duration) ([]audit.Event, error) {
	defer f.Close()
	ch := make(chan audit.Event, 16)
	errc := make(chan error, 1)
	go func() {
		for {
			e, err := f.Next()
			if err != nil {
				errc <- err
				return
			}
			if e.PID == pid {
				ch <- e
			}
		}
	}()
	var got []audit.Event
	timeout := time.After(d)
	for len(got) < n {
		select {
		case e := <-ch:
			got = append(got, e)
		case err := <-errc:
			return nil, fmt.Errorf("Next: %v", err)
		case <-timeout:
			return nil, fmt.Errorf("after %v: %d of %d records of pid %d: %+v (lost %d)", d, len(got), n, pid, got, f.Lost())
		}
	}
	f.Close()
	if err := <-errc; !errors.Is(err, os.ErrClosed) {
		return nil, fmt.Errorf("Next after Close: %v, want os.ErrClosed", err)
	}
	return got, nil
}

// checkI386 checks the records of the filtered child: its x86_64 and x32
// ones, then in subtest name, which skips on kernels that refuse i386
// programs, those of the i386 program it executed.
func checkI386(t *testing.T, name string, got []audit.Event, wants []want) {
	t.Helper()
	n := 0
	for n < len(wants) && wants[n].arch != arch.X86 {
		n++
	}
	if len(got) != len(wants) {
		t.Fatalf("%d records, want %d: %+v", len(got), len(wants), got)
	}
	check(t, got[:n], wants[:n])
	t.Run(name, func(t *testing.T) {
		testenv.NeedI386(t)
		check(t, got[n:], wants[n:])
	})
}

func check(t *testing.T, got []audit.Event, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("%d records, want %d: %+v", len(got), len(wants), got)
	}
	uid := uint32(os.Getuid())
	for i, w := range wants {
		e := got[i]
		if e.Arch != w.arch || e.Nr != w.nr || e.Syscall != w.name || e.Action().String() != w.action ||
			(w.compat >= 0 && e.Compat != (w.compat == 1)) || e.Sig != w.sig || e.Comm != w.comm || filepath.Base(e.Exe) != w.exeBase || e.UID != uid {
			t.Errorf("record %d: %s\nwant %s %s (%d) %s compat=%d sig=%d comm=%q exe=.../%s uid=%d", i, e.Format(),
				w.arch, w.name, w.nr, w.action, w.compat, w.sig, w.comm, w.exeBase, uid)
		}
		if e.Time.IsZero() || time.Since(e.Time) > time.Minute || e.Serial == 0 || e.IP == 0 {
			t.Errorf("record %d: time %v, serial %d, ip %#x", i, e.Time, e.Serial, e.IP)
		}
	}
}

// TestCollector: the LOG records of a program started after Collect
// are what Stop returns; its KILL records and the records of processes
// that ran before are not.
func TestCollector(t *testing.T) {
	skipUnlessKmsg(t)
	for i := 1; ; i++ {
		c, err := audit.Collect()
		if err != nil {
			t.Fatal(err)
		}
		pid := runViolator(t, "-")
		evs := c.Stop(0)
		var uname bool
		for _, e := range evs {
			if e.PID == os.Getpid() || e.Action().Kind != profile.ActLog {
				t.Errorf("collected %+v", e)
			}
			uname = uname || e.PID == pid && e.Syscall == "uname"
		}
		if uname {
			return
		}
		if !c.Limited() || i == 3 {
			t.Fatalf("the helper's uname (pid %d) is not among the %d records collected", pid, len(evs))
		}
		t.Logf("attempt %d: the kernel log may be rate-limited, trying again", i)
		time.Sleep(6 * time.Second)
	}
}

// TestCollectorFlood: a program that makes one logged call thousands of
// times and then another once: the collector keeps up (one record of
// each kind), and the other call's record is there, not dropped by a
// socket that overflowed while the collector waited for Stop.
func TestCollectorFlood(t *testing.T) {
	skipUnlessKmsg(t)
	c, err := audit.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if c.Limited() {
		c.Stop(0)
		t.Skip("no CAP_AUDIT_READ: the kernel log is rate-limited, a flood cannot be read whole")
	}
	cmd := testenv.Command("flooder", "5000")
	if out, err := cmd.CombinedOutput(); err != nil {
		c.Stop(0)
		t.Fatalf("flooder: %v\n%s", err, out)
	}
	pid := cmd.Process.Pid
	evs := c.Stop(0)
	var unames, getpid int
	for _, e := range evs {
		if e.PID != pid {
			continue
		}
		switch e.Nr {
		case 63:
			unames++
		case arch.X32SyscallBit | syscall.SYS_GETPID:
			getpid++
		}
	}
	if unames != 1 || getpid != 1 {
		t.Errorf("%d uname and %d x32 getpid records of pid %d among the %d kept (lost %d), want one of each", unames, getpid, pid, len(evs), c.Lost())
	}
}
