// Package unix is the one place in syscage that makes raw system calls
// and imports golang.org/x/sys/unix. Callers get small typed wrappers.
package unix
