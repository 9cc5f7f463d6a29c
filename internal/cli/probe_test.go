package cli

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
)

func init() {
	testenv.ProgramOnPath("sysprobe", probeMain)
}

// probeMain: sysprobe NAME [ARG...] makes one raw system call with the
// arguments given (decimal or 0x hex, "ptr" for the address of a byte
// holding 'x') and prints "NAME: ok" or "NAME: ERRNO" (EPERM, ENOTTY,
// ...). A descriptor it gets is closed. It runs under the filter of the
// syscage run that started it.
func probeMain() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sysprobe NAME [ARG...]")
		os.Exit(2)
	}
	host, _ := arch.Native()
	nr, ok := host.SyscallNumber(os.Args[1])
	if !ok {
		fmt.Fprintf(os.Stderr, "no system call %s on %s\n", os.Args[1], host)
		os.Exit(2)
	}
	b := []byte{'x'}
	var args [6]uintptr
	for i, s := range os.Args[2:] {
		if s == "ptr" {
			args[i] = uintptr(unsafe.Pointer(&b[0]))
			continue
		}
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "argument %q: %v\n", s, err)
			os.Exit(2)
		}
		args[i] = uintptr(v)
	}
	r, _, e := syscall.Syscall6(uintptr(nr), args[0], args[1], args[2], args[3], args[4], args[5])
	if e != 0 {
		fmt.Printf("%s: %s\n", os.Args[1], errnoName(e))
		return
	}
	if os.Args[1] == "socket" || os.Args[1] == "openat" || os.Args[1] == "open" {
		syscall.Close(int(r))
	}
	fmt.Printf("%s: ok\n", os.Args[1])
}

func errnoName(e syscall.Errno) string {
	for name, v := range map[string]syscall.Errno{
		"EPERM": syscall.EPERM, "EACCES": syscall.EACCES, "ENOTTY": syscall.ENOTTY, "EAFNOSUPPORT": syscall.EAFNOSUPPORT,
		"EINVAL": syscall.EINVAL, "ENOSYS": syscall.ENOSYS, "EBADF": syscall.EBADF, "ENOENT": syscall.ENOENT,
	} {
		if e == v {
			return name
		}
	}
	return fmt.Sprintf("errno %d", int(e))
}
