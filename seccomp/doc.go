// Package seccomp compiles profiles to seccomp classic-BPF filters and
// installs them.
//
// Compile is pure and deterministic: the same profile and options give
// byte-identical programs on any host. The program it builds for each
// audit architecture is a binary decision tree over ranges of system-call
// numbers. Neighbouring numbers with one verdict share a range; a
// frequency table (Options.Weights) can pull frequent calls closer to the
// root. Unconditionally allowed system calls are decided only by loads of
// nr and arch, jumps against constants and RET ALLOW, which is what the
// kernel's action cache can evaluate, so the kernel serves them without
// running the filter at all (see Filter.Cacheable).
//
// System calls with argument rules jump to a block that compares the
// 64-bit arguments one 32-bit word at a time, in the ABI's byte order; on
// 32-bit ABIs only the low word is compared, as libseccomp does. x86_64
// and x32 share AUDIT_ARCH_X86_64 and one block; when only one of them is
// covered, the other half of the number space gets the bad-arch action,
// except -1 on x86_64, as libseccomp does. Unless Options.NoENOSYS is
// set, numbers above the largest one the profile names return ENOSYS
// where runc's patchbpf stub answers it (ENOSYSCeiling, StubENOSYS): not
// under an ALLOW, LOG or TRACE default.
//
// Expect states the verdict of a compiled filter in plain Go on top of
// profile.Evaluate; the tests check that every compiled filter agrees
// with it, and (with the libseccomp build tag) with libseccomp's own
// filters, on every system call of every covered ABI.
//
// Kernel constants keep the kernel's spelling (abi.go). Probing the
// kernel (Probe) and installing filters (InstallProgram) happen only in
// the Linux-specific files.
package seccomp
