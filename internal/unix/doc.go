// Package unix is the one place in syscage that imports golang.org/x/sys/unix
// and makes raw system calls. Callers get small typed wrappers; the files
// that use unsafe or raw system-call numbers are named after what they do
// (seccomp_linux.go, ptrace_linux.go, x32_linux_amd64.go).
package unix
