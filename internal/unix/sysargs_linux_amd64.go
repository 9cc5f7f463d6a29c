package unix

import "golang.org/x/sys/unix"

const auditArchI386 = 0x40000003

// syscallArgs reads the arguments of the system call a stopped tracee
// made, from its registers: rdi, rsi, rdx, r10, r8, r9 for x86_64 and
// x32, and ebx, ecx, edx, esi, edi, ebp for i386 (int 0x80).
func syscallArgs(tid int, auditArch uint32) ([6]uint64, bool) {
	var r unix.PtraceRegsAmd64
	if err := unix.PtraceGetRegsAmd64(tid, &r); err != nil {
		return [6]uint64{}, false
	}
	if auditArch == auditArchI386 {
		return [6]uint64{r.Rbx, r.Rcx, r.Rdx, r.Rsi, r.Rdi, r.Rbp}, true
	}
	return [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9}, true
}

// syscallNr reads the number of the last system call of a stopped tracee
// (orig_rax; -1 after an interrupt or a return from a signal handler).
func syscallNr(tid int) (int64, bool) {
	var r unix.PtraceRegsAmd64
	if err := unix.PtraceGetRegsAmd64(tid, &r); err != nil {
		return 0, false
	}
	return int64(r.Orig_rax), true
}
