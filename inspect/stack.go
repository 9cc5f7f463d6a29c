package inspect

import (
	"encoding/binary"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/seccomp"
)

// Stack is the seccomp filters of a task, oldest first. The kernel runs
// them all and keeps the verdict of highest precedence; of equal actions,
// the newest filter's (seccomp_run_filters).
type Stack []bpf.Program

// precedence orders actions as the kernel does: it compares the action
// part as a signed 32-bit number, lower wins, so KILL_PROCESS
// (0x80000000) beats everything and ALLOW comes last.
func precedence(ret uint32) int32 { return int32(ret & seccomp.SECCOMP_RET_ACTION_FULL) }

// Eval runs every filter of s on data (a marshalled seccomp_data) with
// the VMs of vms (one per filter, loaded) and returns the verdict. An
// empty stack allows everything.
func (s Stack) eval(vms []*bpf.VM, data []byte, trace func(filter, pc int)) (uint32, error) {
	ret := uint32(seccomp.SECCOMP_RET_ALLOW)
	for i := len(s) - 1; i >= 0; i-- {
		vm := vms[i]
		if trace != nil {
			vm.Trace = func(pc int) { trace(i, pc) }
		} else {
			vm.Trace = nil
		}
		r, _, err := vm.Exec(data)
		if err != nil {
			return 0, err
		}
		if precedence(r) < precedence(ret) {
			ret = r
		}
	}
	return ret, nil
}

// Eval returns the verdict of the stack for d laid out in order, the
// byte order of the calling task's ABI.
func (s Stack) Eval(order binary.ByteOrder, d seccomp.Data) (uint32, error) {
	vms, err := s.load(order)
	if err != nil {
		return 0, err
	}
	return s.eval(vms, d.Marshal(order), nil)
}

func (s Stack) load(order binary.ByteOrder) ([]*bpf.VM, error) {
	vms := make([]*bpf.VM, len(s))
	for i, p := range s {
		vms[i] = bpf.NewVM(order)
		if err := vms[i].Load(p); err != nil {
			return nil, err
		}
	}
	return vms, nil
}
