// Package builtin holds the profiles syscage ships: Docker's default
// profile ("docker-default", moby's profiles/seccomp/default.json; see
// SOURCE), "unconfined" (allow everything) and "strict", a default-deny
// starter to grow a profile from: every call gets EPERM but those a
// program needs to start, exit, handle signals, read the time and its
// identity, do I/O on its descriptors and open files for reading, on the
// native ABI only. (Under runc 1.1 add an openat rule for flags
// O_WRONLY|O_CLOEXEC exactly: runc's init opens its exec fifo so after it
// installs the filter. strict leaves it out: it would let the program
// open any existing file for writing.)
//
//   - open and openat only with O_RDONLY and neither O_CREAT nor O_TRUNC
//     (MASKED_EQ on the low 32 bits of flags, which the kernel reads as
//     an int; openat2, whose flags are behind a pointer, gets ENOSYS), so
//     no file can be created, truncated or opened for writing. write and
//     the other output calls are allowed on any descriptor: a filter
//     cannot tell descriptors apart by what they are, and the only
//     writable ones are those the program was given (stdout, stderr, what
//     its caller passed) or made (pipes).
//   - ioctl only for TCGETS, TIOCGPGRP, TIOCGWINSZ, FIONREAD, FIONBIO,
//     FIONCLEX and FIOCLEX (the asm-generic numbers of x86, arm, aarch64,
//     riscv, s390 and loongarch), so never TIOCSTI or TIOCLINUX.
//   - W^X: mmap, mmap2 and mprotect only without both PROT_WRITE and
//     PROT_EXEC. Programs that need an executable stack or a JIT fail.
//
// The O_* values are the asm-generic ones; mips, parisc, alpha and sparc
// number O_CREAT differently. It allows no new processes or threads: add
// clone, fork and wait4 for programs that need them.
package builtin
