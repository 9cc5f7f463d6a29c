// Package launch runs a program under a seccomp filter, and helps a Go
// program confine itself or a worker it starts.
//
// A Cmd is in the spirit of os/exec.Cmd, with a profile. Start re-executes
// the calling program as a small stage (the program must call Init first
// thing in main, or in TestMain); the stage, now the child, marks every
// inherited descriptor but stdin, stdout, stderr and the kept ones
// close-on-exec, optionally drops capabilities, sets no_new_privs,
// installs the filter on its main thread and calls execve right after
// from that thread. (Not with TSYNC: execve ends the stage's other
// threads anyway, and until then they run the Go runtime, which a strict
// profile would kill. A Go program that confines itself and goes on
// running uses seccomp.Install, which synchronizes every thread.) The filter survives execve: the program and everything it
// starts stay inside it. Any failure before execve ends the stage with a
// message on a close-on-exec status pipe, and the program never runs.
//
// Wait reports how the program ended: its exit code, 128+N when signal N
// ended it, and for a seccomp SIGSYS a Violation naming the system call,
// its ABI, the action and the rule or default that decided it. For a TRAP
// the launcher reads the siginfo itself (it attaches to the child with
// PTRACE_SEIZE when the filter can return TRAP, only to see SIGSYS); for
// a KILL the kernel sends no signal anyone can observe, and the launcher
// reads the kernel's seccomp record from /dev/kmsg (package audit) where
// it may, or asks Cmd.KernelRecord.
package launch
