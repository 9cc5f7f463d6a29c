package unix

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Signals and ptrace events the launcher handles.
const (
	SIGSYS  = unix.SIGSYS
	SIGTRAP = unix.SIGTRAP
	SIGSTOP = unix.SIGSTOP
	SIGTSTP = unix.SIGTSTP
	SIGTTIN = unix.SIGTTIN
	SIGTTOU = unix.SIGTTOU

	SYS_SECCOMP = 1 // si_code of a SIGSYS sent by a seccomp TRAP or KILL
)

// CapLast returns the highest capability number the kernel knows.
func CapLast() (int, error) {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// DropCaps removes every capability not in keep (a bit per capability
// number, up to last) from the calling thread's bounding set, and makes
// keep its permitted, effective, inheritable and ambient sets, so that the
// kept capabilities survive execve for any user and the others are gone
// for good. Dropping from the bounding set needs CAP_SETPCAP; a thread
// without it and without permitted capabilities keeps its bounding set
// (it has nothing to drop, and with no_new_privs execve cannot add any).
func DropCaps(keep uint64, last int) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	permitted := uint64(data[0].Permitted) | uint64(data[1].Permitted)<<32
	// What the thread does not have it cannot keep.
	keep &= permitted
	for c := 0; c <= last; c++ {
		if keep&(1<<c) != 0 {
			continue
		}
		if in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err == nil && in == 0 {
			continue // not in the bounding set: nothing to drop
		}
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		if err == unix.EPERM && permitted == 0 && keep == 0 {
			break
		}
		if err == unix.EPERM {
			return fmt.Errorf("drop %d from the bounding set: %w (needs CAP_SETPCAP)", c, err)
		}
		if err != nil && err != unix.EINVAL {
			return err
		}
	}
	for i := range data {
		set := uint32(keep >> (32 * i))
		data[i] = unix.CapUserData{Effective: set, Permitted: set, Inheritable: set}
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return err
	}
	for c := 0; c <= last; c++ {
		if keep&(1<<c) != 0 {
			if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// CloseOnExecExcept marks every descriptor of the process from 3 up
// close-on-exec, except those in keep, so that execve closes them.
// Marking rather than closing leaves the Go runtime's own descriptors
// working until then. It uses close_range(2) (Linux 5.11) and falls back
// to /proc/self/fd.
func CloseOnExecExcept(keep []int) error {
	keep = slices.Clone(keep)
	slices.Sort(keep)
	first := uint(3)
	ranges := [][2]uint{}
	for _, k := range keep {
		if k < int(first) {
			continue
		}
		if uint(k) > first {
			ranges = append(ranges, [2]uint{first, uint(k) - 1})
		}
		first = uint(k) + 1
	}
	ranges = append(ranges, [2]uint{first, ^uint(0)})
	ok := true
	for _, r := range ranges {
		if err := unix.CloseRange(r[0], r[1], unix.CLOSE_RANGE_CLOEXEC); err != nil {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 || slices.Contains(keep, fd) {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return err
		}
	}
	return nil
}

// PtraceSeizeProcess attaches to pid with PTRACE_SEIZE, asking for a stop
// at its next execve (PTRACE_O_TRACEEXEC) and for every thread it starts
// to be traced too (PTRACE_O_TRACECLONE). The calling thread becomes the
// tracer: every later ptrace request must come from it.
func PtraceSeizeProcess(pid int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, unix.PTRACE_O_TRACEEXEC|unix.PTRACE_O_TRACECLONE, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// PtraceListen resumes a tracee in group-stop without ending the stop.
func PtraceListen(tid int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_LISTEN, uintptr(tid), 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// WaitTracee waits, on the tracer thread, for the next stop or end of a
// tracee of process pid (its threads included) and returns it, consumed,
// with the thread's id; or reports the end of pid itself, which it leaves
// for the caller to reap (mainExited).
func WaitTracee(pid int) (tid int, ws WaitStatus, mainExited bool, err error) {
	// struct siginfo for SIGCHLD: si_signo, si_errno, si_code, then
	// si_pid at the start of the union.
	var info [128]byte
	for {
		_, _, e := unix.Syscall6(unix.SYS_WAITID, unix.P_ALL, 0, uintptr(unsafe.Pointer(&info[0])), unix.WEXITED|unix.WSTOPPED|unix.WNOWAIT|unix.WALL|unix.WNOTHREAD, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, 0, false, e
		}
		break
	}
	ptr := int(unsafe.Sizeof(uintptr(0)))
	union := (12 + ptr - 1) / ptr * ptr
	code := int32(binary.NativeEndian.Uint32(info[8:]))
	tid = int(int32(binary.NativeEndian.Uint32(info[union:])))
	if tid == pid && (code == 1 || code == 2 || code == 3) { // CLD_EXITED, CLD_KILLED, CLD_DUMPED
		return tid, 0, true, nil
	}
	for {
		_, err = unix.Wait4(tid, &ws, unix.WALL, nil)
		if err != unix.EINTR {
			break
		}
	}
	return tid, ws, false, err
}

// Sigsys is the part of a SIGSYS siginfo seccomp fills in, and what the
// stopped thread's registers say of the system call it made last. The
// siginfo alone proves nothing: a process may send itself a SIGSYS with
// any siginfo (rt_sigqueueinfo), si_code SYS_SECCOMP included.
type Sigsys struct {
	Code     int32  // SYS_SECCOMP when seccomp sent it
	Data     uint16 // SECCOMP_RET_DATA of the action (si_errno)
	Syscall  uint32 // the system-call number
	Arch     uint32 // its AUDIT_ARCH_*
	CallAddr uint64 // si_call_addr: the address after the call's instruction
	Args     [6]uint64
	HasArgs  bool // Args were read from the tracee's registers

	// The thread's registers, when HasRegs: the number of its last
	// system call (-1 when it entered the kernel otherwise, or came
	// back from a signal handler), the ABI of that call and its
	// instruction pointer.
	HasRegs bool
	RegNr   int64
	RegArch uint32
	RegIP   uint64
}

// PtraceSigsys reads the siginfo of a tracee in a signal-delivery-stop
// for SIGSYS, and the arguments of the call where the architecture
// allows.
func PtraceSigsys(tid int) (Sigsys, error) {
	var buf [128]byte
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(&buf[0])), 0, 0)
	if e != 0 {
		return Sigsys{}, e
	}
	// struct siginfo: si_signo, si_errno, si_code, then the union,
	// aligned to a pointer; _sigsys is { void *_call_addr; int _syscall;
	// unsigned int _arch; }.
	ptr := int(unsafe.Sizeof(uintptr(0)))
	union := (12 + ptr - 1) / ptr * ptr
	ne := binary.NativeEndian
	s := Sigsys{
		Data:     uint16(ne.Uint32(buf[4:])),
		Code:     int32(ne.Uint32(buf[8:])),
		CallAddr: ne.Uint64(buf[union:]),
		Syscall:  ne.Uint32(buf[union+ptr:]),
		Arch:     ne.Uint32(buf[union+ptr+4:]),
	}
	if ptr == 4 {
		s.CallAddr = uint64(ne.Uint32(buf[union:]))
	}
	s.Args, s.HasArgs = syscallArgs(tid, s.Arch)
	var info ptraceSyscallInfo
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid), unsafe.Sizeof(info), uintptr(unsafe.Pointer(&info)), 0, 0); e == 0 {
		if nr, ok := syscallNr(tid); ok {
			s.HasRegs, s.RegNr, s.RegArch, s.RegIP = true, nr, info.Arch, info.InstructionPtr
			// The arguments as the call passed them, in the ABI the
			// thread made it in.
			s.Args, s.HasArgs = syscallArgs(tid, info.Arch)
		}
	}
	return s, nil
}

// ExecveRaw calls execve(path, argv, envp) with the raw system call: the
// Go scheduler is not told (the thread keeps its P and takes no futex),
// for a launcher whose filter is already installed. The pointers are C
// strings and NULL-terminated arrays of them that the caller keeps alive.
// It returns only on failure.
func ExecveRaw(path, argv, envp uintptr) Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_EXECVE, path, argv, envp, 0, 0, 0)
	return e
}

// SetUndumpable sets PR_SET_DUMPABLE 0 on the process: a process without
// CAP_SYS_PTRACE, even of the same user, can no longer attach to it with
// ptrace, nor open its /proc/PID/mem, environ or descriptors.
func SetUndumpable() error {
	if _, _, e := unix.RawSyscall(unix.SYS_PRCTL, unix.PR_SET_DUMPABLE, 0, 0); e != 0 {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", e)
	}
	return nil
}
