// Package analyze finds, by static analysis of ELF programs and the
// libraries they load, the system calls a program's code can make, per
// ABI, each with where it comes from.
//
// The analysis disassembles machine code (golang.org/x/arch), finds each
// system-call instruction (x86_64 SYSCALL, aarch64 SVC) and the numbers
// that can reach its number register (rax, x8) by constant propagation
// over the function's control-flow graph, also through wrappers that take
// the number as an argument (libc's syscall(), Go's Syscall6 in a
// register or, for Go's assembly on arm64, on the stack), and builds a
// call graph:
// direct calls and jumps, calls through the PLT or the GOT into other
// modules, and, for an indirect call, every function of the module whose
// address the code or data takes. A dynamically linked program is
// analysed with the libraries it needs, found as the dynamic loader finds
// them (DT_RUNPATH, DT_RPATH, /etc/ld.so.cache, the default
// directories), each reduced to a model (the calls each exported function
// can reach, and what it imports) that is cached by build ID; the
// dynamic loader and each library's initializers are included. A Go
// program is analysed whole (its linker keeps only reachable functions),
// its functions named by the pclntab, which stripping leaves. The vDSO's
// fallbacks (clock_gettime, gettimeofday, time, getcpu) are always in.
//
// What cannot be resolved (a number computed at run time, a library that
// is not found, dlopen) is reported in Result.Unresolved, never dropped.
package analyze
