package strace_test

import (
	"fmt"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/strace"
)

// strace -f output with an interrupted call, an i386 child and a line
// that is not strace's.
func ExampleRead() {
	trace := `100 execve("./app", ["./app"], 0x7ffc /* 3 vars */) = 0
100 read(3,  <unfinished ...>
101 [ Process PID=101 runs in 32 bit mode. ]
101 getpgrp() = 101
100 <... read resumed>"x", 1) = 1
hello
100 exit_group(0) = ?
`
	rec := record.New(arch.X86_64)
	skipped, err := strace.Read(rec, "app.trace", strings.NewReader(trace))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range rec.Calls() {
		fmt.Println(c.Arch, c.Name)
	}
	for _, e := range skipped {
		fmt.Println(e)
	}
	// Output:
	// x86 getpgrp
	// x86_64 execve
	// x86_64 exit_group
	// x86_64 read
	// app.trace:6: not a system call line: "hello"
}
