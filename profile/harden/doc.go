// Package harden closes the holes that runc and libseccomp leave in a
// profile: comparisons of int arguments that look at the 64 bits of the
// register while the kernel uses 32 (or 16), the socketcall(2) and ipc(2)
// multiplexers that pass sub-calls their argument conditions cannot
// reach, the 32-bit ABIs' second names for the same calls (setuid32,
// mmap2, clock_settime64, ...), and the terminal ioctls TIOCSTI and
// TIOCLINUX. Profile returns the hardened profile, an ordinary profile
// every format with argument conditions can hold, and what it changed.
package harden
