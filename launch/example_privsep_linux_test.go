package launch_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"github.com/syscage/syscage/launch"
)

// greeter is the worker of the privilege-separation example: it gets a
// listening socket and an open file from its supervisor, confines itself
// to accepting on that socket and the Go runtime's needs, and serves one
// request. The test binary's TestMain runs it when launch.WorkerMain says
// so.
func greeter(files []*os.File) {
	ln, err := net.FileListener(files[0])
	if err != nil {
		panic(err)
	}
	files[0].Close()
	data := files[1]
	var lnFD int
	rc, _ := ln.(*net.TCPListener).SyscallConn()
	rc.Control(func(fd uintptr) { lnFD = int(fd) })

	// From here on: accept on the listener, read and write, nothing else.
	if err := launch.Lockdown(launch.WorkerProfile(launch.AllowOn(lnFD, "accept4", "accept"))); err != nil {
		panic(err)
	}

	conn, err := ln.Accept()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	req, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Fprintf(conn, "greeter got: %s", req)
	b, err := io.ReadAll(data)
	fmt.Fprintf(conn, "greeter read: %s (%v)\n", b, err)
	if _, err := os.Open("/etc/passwd"); err != nil {
		fmt.Fprintf(conn, "greeter: %v\n", err)
	}
	// execve(2) itself (syscall.Exec would first prepare the runtime for
	// the exec, which it then undoes).
	sh, _ := syscall.BytePtrFromString("/bin/sh")
	argv := []*byte{sh, nil}
	_, _, errno := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(sh)), uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&argv[1])))
	fmt.Fprintf(conn, "greeter: exec /bin/sh: %v\n", errno)
	if _, err := net.Dial("tcp", "127.0.0.1:9"); err != nil {
		fmt.Fprintf(conn, "greeter: a new socket: %v\n", err)
	}
}

// A supervisor opens what a worker needs, a listening socket and a file,
// and passes the descriptors; the worker locks itself down before it
// reads any request: it serves one on the socket, and cannot open a
// file, execute a shell or make a socket of its own.
func Example_privilegeSeparation() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := ln.Addr().String()
	lnFile, _ := ln.(*net.TCPListener).File()
	ln.Close() // the worker's copy listens on
	tmp, _ := os.CreateTemp("", "greeting")
	defer os.Remove(tmp.Name())
	tmp.WriteString("a file only the supervisor could open")
	tmp.Close()
	data, _ := os.Open(tmp.Name())

	cmd, err := launch.Worker("greeter", lnFile, data)
	if err != nil {
		panic(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	lnFile.Close()
	data.Close()

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	fmt.Fprintln(conn, "hello")
	reply, _ := io.ReadAll(conn)
	fmt.Print(string(reply))
	fmt.Println("worker:", cmd.Wait())
	// Output:
	// greeter got: hello
	// greeter read: a file only the supervisor could open (<nil>)
	// greeter: open /etc/passwd: operation not permitted
	// greeter: exec /bin/sh: operation not permitted
	// greeter: a new socket: dial tcp 127.0.0.1:9: socket: operation not permitted
	// worker: <nil>
}
