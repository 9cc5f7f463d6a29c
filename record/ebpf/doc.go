// Package ebpf records the system calls of a process tree with eBPF, at
// close to the program's own speed: the kernel counts each call of the
// tree in a map, and nothing stops the program.
//
// The programs are built at run time with cilium/ebpf's asm package (no
// compiler, no cgo, no object files) and read task_struct fields at the
// offsets the kernel's BTF gives. A program counts calls per (ABI,
// number) in a per-CPU array. Where the kernel lets them attach (see
// Hook), it runs as fentry programs on the kernel's dispatchers
// x64_sys_call, ia32_sys_call and x32_sys_call, which name the ABI, and
// on sys_ni_syscall for numbers in no table: on the fast system-call
// path, so that other processes pay next to nothing. Elsewhere a raw
// tracepoint on sys_enter counts them, telling x86_64, i386 (TS_COMPAT
// in thread_info.status) and x32 (__X32_SYSCALL_BIT in the number)
// apart; attaching it puts every task of the host on the kernel's slow
// system-call path while the recording lasts. The tree is a bitmap with a bit for every possible
// thread group id (an mmapable array map, so it never fills up): a call
// of a task outside the tree costs one inlined array lookup. The raw
// tracepoints sched_process_fork and sched_process_exit set and clear
// bits with atomic fetch operations, counting the thread groups still
// alive exactly once each, and sched_process_exec marks the moment the
// helper has become the target (its execve counts, the calls its other
// threads make meanwhile do not). AttachPID enters a running tree into
// the bitmap, AttachCgroup records the tasks of a cgroup instead.
//
// i386's socketcall and ipc count as the sub-call their first argument
// selects. With Options.Args, the arguments record.ArgIndexes names are
// read from the task's pt_regs (offsets from BTF) and kept as a set of
// (call, values) in a hash map sized for the worst case, at most
// record.MaxValues+1 per call (a per-call count of distinct values stops
// the inserts beyond).
//
// The maps are read, not drained, once the last thread group of the tree
// has ended. The recorder learns of each end from the kernel, not from a
// timer: the exit program writes to a ring buffer whose reader wakes, a
// pidfd becomes readable, and for a cgroup the kernel notifies the
// changes of its cgroup.events (inotify) while the sys_enter and exit
// programs mark the cgroup seen, so that a task in it for an instant
// both is recorded and ends the recording. Every loss counter (kernel reads that failed, argument
// values not kept, program runs the kernel skipped) is in
// Recording.Lost, and any loss makes the recording Partial.
//
// WatchPID and WatchCgroup count the calls of a running tree or of a
// cgroup with the same programs while they run: a Counter's Snapshot
// reads the per-CPU counts (in one batch lookup) without resetting them,
// with the loss counters, and Watch hands out one every interval until
// the kernel reports the end of the tasks.
//
// The engine needs Linux on x86_64 with BTF (/sys/kernel/btf/vmlinux),
// CAP_BPF and CAP_PERFMON (or root), and no kernel lockdown in
// confidentiality mode.
package ebpf
