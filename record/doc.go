// Package record discovers the system calls a program needs and turns
// them into the least profile that lets it work.
//
// A Recording holds, per ABI, the system calls seen and, for the calls
// whose integer arguments seccomp can check safely (socket family and
// type, clone flags, ioctl requests, prctl options, fcntl commands, mmap
// and mprotect prot, personality), the values seen. Recording.Profile
// turns it into an allowlist profile.
//
// Run records a program with ptrace and a seccomp filter that hands each
// system call to the recorder (no root needed), following every thread,
// fork, vfork, clone and exec. Recording.AddTo adds a recording to an
// existing profile. Package record/strace reads strace output into a
// Recording.
package record
