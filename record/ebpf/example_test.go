package ebpf_test

import (
	"fmt"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record/ebpf"
)

// Two snapshots of a Counter as the rows of watch --engine ebpf: the
// busiest calls since the earlier one first, each ABI's number by its own
// table's name (64 is semget on x86_64, getppid on i386).
func ExampleSnapshot_Top() {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	prev := &ebpf.Snapshot{Start: start, Time: start.Add(time.Second), Calls: []ebpf.Count{
		{Syscall: ebpf.Syscall{Arch: arch.X86_64, Nr: 0, Name: "read"}, N: 500},
		{Syscall: ebpf.Syscall{Arch: arch.X86, Nr: 64, Name: "getppid"}, N: 10},
	}}
	s := &ebpf.Snapshot{Start: start, Time: start.Add(3 * time.Second), Calls: []ebpf.Count{
		{Syscall: ebpf.Syscall{Arch: arch.X86_64, Nr: 0, Name: "read"}, N: 600},
		{Syscall: ebpf.Syscall{Arch: arch.X86_64, Nr: 64, Name: "semget"}, N: 40},
		{Syscall: ebpf.Syscall{Arch: arch.X86, Nr: 64, Name: "getppid"}, N: 10},
		{Syscall: ebpf.Syscall{Arch: arch.X86, Nr: 102, Name: "socket", Multiplexer: "socketcall", Call: 1}, N: 30},
	}}
	for _, r := range s.Top(prev) {
		fmt.Printf("%-6s %-3d %-8s %4d %5.1f/s\n", r.Arch, r.Nr, r.Name, r.Total, r.Rate)
	}
	// Output:
	// x86_64 0   read      600  50.0/s
	// x86_64 64  semget     40  20.0/s
	// x86    102 socket     30  15.0/s
	// x86    64  getppid    10   0.0/s
}
