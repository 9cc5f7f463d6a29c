// Package builtin holds the profiles syscage ships: Docker's default
// profile ("docker-default", moby's profiles/seccomp/default.json; see
// SOURCE), "unconfined" (allow everything) and "strict", a default-deny
// starter to grow a profile from: every call gets EPERM but those a
// program needs to start (with what runc's init still calls after it
// installs the filter), exit, handle signals, read the time and its
// identity, and read and write files and descriptors, on the native ABI
// only. It allows no new processes or threads: add clone, fork and wait4
// for programs that need them.
package builtin
