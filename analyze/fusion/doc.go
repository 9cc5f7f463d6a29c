// Package fusion builds least-privilege profiles that keep a program
// working beyond the workload it was recorded under: it fuses a
// recording (package record) with the static analysis of the program's
// code (package analyze).
//
// A fused profile allows
//   - what the recording saw (Seen), with the argument values it
//     learned on the high-risk calls (clone's flags, socket's family,
//     personality's persona) and, with Options.Args, on every call;
//   - the low-risk calls the code can reach (Static), each named with the
//     function or library export that reaches it;
//   - the siblings of each call seen (Sibling): the calls libc and the Go
//     runtime choose among for one job (Families, a data table with the
//     reason of each family);
//   - what the kernel and the launch need (Runtime): rt_sigreturn,
//     restart_syscall, exit.
//
// High-risk calls (HighRisk, a data table of classes: exec, process
// creation, ptrace, mounts, namespaces, bpf, keys, modules, io_uring,
// system administration, socket families) are allowed only where the
// recording saw them; reaching them in the code is never enough (except
// thread creation, clone with CLONE_THREAD, and AF_UNIX sockets). They
// are reported as Withheld. Options.Risk overrides a class or a call.
//
// Every rule carries its reason in its comment, one rule per reason
// class, names sorted.
package fusion
