package arch

import "strings"

// Arg is one argument of a system call as its kernel prototype declares it.
type Arg struct {
	Type string // C type, such as "int", "unsigned long", "const char *"
	Name string // parameter name in the kernel source
	// Bits is how many low bits of the register the kernel uses: its
	// SYSCALL_DEFINE wrapper casts the 64-bit register to Type, so an int
	// keeps 32 bits and umode_t 16, whatever the high bits held. Pointers
	// and longs keep 64.
	Bits uint8
}

// ArgsRelease names the kernel release the argument table was taken from.
func ArgsRelease() string { return argsRelease }

// SyscallArgs returns the arguments of system call name on a, from the
// kernel's prototypes (see data/SOURCE); ok is false for names the table
// lacks (system calls that are not implemented, or newer than it).
func (a Arch) SyscallArgs(name string) (args []Arg, ok bool) {
	if args, ok = syscallArgs[name+"@"+a.String()]; ok {
		return args, true
	}
	args, ok = syscallArgs[name]
	return args, ok
}

// ArgBits returns how many low bits of argument i of system call name
// the kernel uses on a: the width of its C type, at most a.Bits(). A
// seccomp filter sees all 64 bits of the register on a 64-bit ABI, so a
// comparison of the bits above ArgBits decides on bits the system call
// ignores. ok is false when the table lacks name or name has no
// argument i.
func (a Arch) ArgBits(name string, i int) (bits int, ok bool) {
	args, ok := a.SyscallArgs(name)
	if !ok || i < 0 || i >= len(args) {
		return 0, false
	}
	return min(int(args[i].Bits), a.Bits()), true
}

// String returns the argument as the prototype writes it: "int family".
func (g Arg) String() string {
	if strings.HasSuffix(g.Type, "*") {
		return g.Type + g.Name
	}
	return g.Type + " " + g.Name
}
