// Package ebpf records the system calls of a process tree with eBPF, at
// close to the program's own speed: the kernel counts each call of the
// tree in a map, and nothing stops the program.
//
// The programs are built at run time with cilium/ebpf's asm package (no
// compiler, no cgo, no object files) and read task_struct fields at the
// offsets the kernel's BTF gives. A raw tracepoint on sys_enter counts
// calls per (ABI, number) in a per-CPU array, telling x86_64, i386
// (TS_COMPAT in thread_info.status) and x32 (__X32_SYSCALL_BIT in the
// number) apart; the raw tracepoints sched_process_fork and
// sched_process_exit keep the set of thread groups of the tree and the
// number still alive, and sched_process_exec marks the moment the helper
// has become the target (its execve counts, the calls its other threads
// make meanwhile do not). i386's socketcall and ipc count as the sub-call
// their first argument selects. With Options.Args, the arguments
// record.ArgIndexes names are read from the task's pt_regs (offsets from
// BTF) and kept as a set of (call, values) in a hash map sized for the
// worst case, at most record.MaxValues+1 per call (a per-call count of
// distinct values stops the inserts beyond). The counts are read, not drained, once the last
// thread group of the tree has ended, and every loss (a fork into a full
// map, a field that could not be read) makes the recording Partial.
//
// The engine needs Linux on x86_64 with BTF (/sys/kernel/btf/vmlinux),
// CAP_BPF and CAP_PERFMON (or root), and no kernel lockdown in
// confidentiality mode.
package ebpf
