package arch

import (
	"strings"
	"testing"
)

func TestArgBits(t *testing.T) {
	for _, c := range []struct {
		a    Arch
		name string
		i    int
		bits int
		ok   bool
	}{
		{X86_64, "socket", 0, 32, true},       // int family
		{X86_64, "ioctl", 1, 32, true},        // unsigned int cmd
		{X86_64, "ioctl", 2, 64, true},        // unsigned long arg
		{X86_64, "clone", 0, 64, true},        // unsigned long clone_flags
		{S390X, "clone", 1, 64, true},         // s390 swaps newsp and flags, both long
		{X86_64, "personality", 0, 32, true},  // unsigned int
		{PPC64LE, "personality", 0, 64, true}, // ppc64's own, unsigned long
		{X86_64, "chmod", 1, 16, true},        // umode_t
		{X86_64, "openat", 2, 32, true},       // int flags
		{X86_64, "mmap", 2, 64, true},         // unsigned long prot
		{S390X, "mmap", 0, 64, true},          // old_mmap: a pointer
		{S390X, "mmap", 2, 0, false},
		{S390X, "ipc", 0, 32, true},
		{X86, "ipc", 2, 32, true},       // a 32-bit ABI: longs are 32 bits too
		{X86, "setuid", 0, 16, true},    // setuid16: old_uid_t
		{X86, "setuid32", 0, 32, true},  // uid_t
		{X86_64, "setuid", 0, 32, true}, // uid_t
		{X86_64, "socket", 3, 0, false},
		{X86_64, "nosuchcall", 0, 0, false},
	} {
		bits, ok := c.a.ArgBits(c.name, c.i)
		if bits != c.bits || ok != c.ok {
			t.Errorf("%s.ArgBits(%s, %d) = %d, %v; want %d, %v", c.a, c.name, c.i, bits, ok, c.bits, c.ok)
		}
	}
}

// TestArgsTableNames checks the argument table against the syscall
// tables: every name it has exists on some ABI (and, for a name@abi
// entry, on that ABI), and every system call of x86_64 that the kernel
// implements has a prototype.
func TestArgsTableNames(t *testing.T) {
	known := map[string]bool{}
	for _, n := range Names() {
		known[n] = true
	}
	for key := range syscallArgs {
		name, abi, found := strings.Cut(key, "@")
		if !known[name] {
			t.Errorf("argument table has %q, which no ABI has", key)
		}
		if found {
			a, err := Parse(abi)
			if err != nil {
				t.Errorf("argument table entry %q: %v", key, err)
				continue
			}
			if _, ok := a.SyscallNumber(name); !ok {
				t.Errorf("argument table entry %q: %s has no %s", key, a, name)
			}
		}
	}
	// Entries x86_64's table keeps for calls the kernel does not
	// implement (sys_ni_syscall), no longer has, or got after the
	// argument table's release.
	unimplemented := map[string]bool{
		"_sysctl": true, "afs_syscall": true, "create_module": true, "epoll_ctl_old": true,
		"epoll_wait_old": true, "get_kernel_syms": true, "get_thread_area": true, "getpmsg": true,
		"lookup_dcookie": true, "nfsservctl": true, "putpmsg": true, "query_module": true,
		"security": true, "set_thread_area": true, "tuxcall": true, "uselib": true, "vserver": true,
		"rseq_slice_yield": true,
	}
	for _, s := range X86_64.Syscalls() {
		if _, ok := X86_64.SyscallArgs(s.Name); !ok && !unimplemented[s.Name] {
			t.Errorf("x86_64 %s has no prototype in the argument table", s.Name)
		}
	}
}
