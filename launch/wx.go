package launch

import (
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/seccomp"
)

// checkWX reports an error unless prog denies, on the native ABI, each
// call that would map memory writable and executable at once.
func checkWX(prog bpf.Program, native arch.Arch) error {
	const wx = harden.PROT_WRITE | harden.PROT_EXEC
	calls := []struct {
		name string
		args [6]uint64
	}{
		{"mmap", [6]uint64{0, 4096, wx, 0x22, ^uint64(0), 0}},
		{"mmap2", [6]uint64{0, 4096, wx, 0x22, ^uint64(0), 0}},
		{"mprotect", [6]uint64{0, 4096, wx}},
		{"pkey_mprotect", [6]uint64{0, 4096, wx, 0}},
		{"shmat", [6]uint64{0, 0, harden.SHM_EXEC}},
	}
	order := native.ByteOrder()
	for _, c := range calls {
		nr, ok := native.SyscallNumber(c.name)
		if !ok {
			continue
		}
		d := bpf.SeccompData{Nr: int32(nr), Arch: native.Audit(), Args: c.args}
		ret, _, err := bpf.NewVM(order).Run(prog, d.Marshal(order))
		if err != nil {
			return fmt.Errorf("memory-deny-write-execute: evaluate the filter on %s: %w", c.name, err)
		}
		switch ret & seccomp.SECCOMP_RET_ACTION_FULL {
		case seccomp.SECCOMP_RET_ALLOW, seccomp.SECCOMP_RET_LOG, seccomp.SECCOMP_RET_TRACE, seccomp.SECCOMP_RET_USER_NOTIF:
			return fmt.Errorf("memory-deny-write-execute: the filter allows %s with PROT_WRITE|PROT_EXEC (compile it from a profile transformed by harden.WX, or give the profile instead)", c.name)
		}
	}
	return nil
}
