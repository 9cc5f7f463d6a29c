// goprog makes, through Go's os and syscall packages, system calls the
// test knows: openat, read, close, write, getpid, getppid (Syscall),
// gettid (RawSyscall) and exit_group.
package main

import (
	"os"
	"syscall"
)

func main() {
	f, err := os.Open("/etc/hostname")
	if err == nil {
		b := make([]byte, 64)
		f.Read(b)
		f.Close()
	}
	os.Stdout.Write([]byte("hi\n"))
	syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
	syscall.RawSyscall(syscall.SYS_GETTID, 0, 0, 0)
	os.Exit(os.Getpid() & 0)
}
