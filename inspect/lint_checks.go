package inspect

import "strings"

// LintCheck documents one check of Lint or LintStack: its name, as a
// Finding's Check says it, and what it finds, in lines of a terminal's
// width.
type LintCheck struct {
	Name string
	Doc  []string
}

// LintChecks are the checks of Lint, on a profile.
var LintChecks = []LintCheck{
	{"default-allow", []string{"a default action that allows (a deny-list: new system", "calls and io_uring get through)"}},
	{"dangerous-syscall", []string{"dangerous system calls allowed by a rule: ptrace, bpf,", "kexec_load, init_module, mount, userfaultfd,", "perf_event_open, keyctl, io_uring_* (a filter bypass),", "open_by_handle_at, setns, unshare, ..."}},
	{"errno-not-enosys", []string{"EPERM (or another errno) for system calls that glibc,", "systemd and runc fall back from only on ENOSYS:", "clone3, faccessat2, fchmodat2, openat2, statx,", "close_range"}},
	{"unknown-name", []string{"names no covered architecture has (runc skips them)"}},
	{"compat-not-covered", []string{"compat ABIs of the host (x86 and x32 on x86_64) the", "profile does not cover: their programs are killed"}},
	{"int-high-bits", []string{"conditions on int arguments (socket's family, ioctl's", "cmd, personality, ...) that compare all 64 bits while", "the kernel uses 32 (or 16): socket(0x100000028) is", "socket(AF_VSOCK) to the kernel"}},
	{"multiplexer", []string{"socketcall and ipc sub-calls the multiplexer allows", "although the sub-call's own rules compare arguments", "(a filter cannot see them through it), or only with", "the ipc version or high bits set"}},
	{"twin", []string{"a call denied under one name and allowed under its", "32-bit twin (setuid and setuid32, mmap and mmap2,", "clock_settime and clock_settime64, ...)"}},
	{"shadowed", []string{"names in a rule that an earlier rule already decides"}},
	{"no-effect", []string{"rules that give the default action, changing nothing"}},
	{"write-execute", []string{"mmap/mprotect allowed with PROT_WRITE|PROT_EXEC (no W^X)"}},
}

// LintStackChecks are the checks of LintStack, on compiled filters.
var LintStackChecks = []LintCheck{
	{"compat-bypass", []string{"system calls denied on the host ABI but allowed under", "the same name through a compat ABI (x86 or x32 on", "x86_64): the filter does not test the architecture, or", "not the x32 bit"}},
}

// LintChecksText lists checks as a help text does: each name, then its
// documentation beside it.
func LintChecksText(checks []LintCheck) string {
	var b strings.Builder
	for _, c := range checks {
		for i, l := range c.Doc {
			name := ""
			if i == 0 {
				name = c.Name
			}
			b.WriteString(strings.TrimRight("  "+name+strings.Repeat(" ", 20-len(name))+l, " ") + "\n")
		}
	}
	return b.String()
}
