package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// maxUnoptimized bounds the program handed to the optimizer.
const maxUnoptimized = 8 * bpf.BPF_MAXINSNS

func (c *compiler) link() (bpf.Program, []string, error) {
	fn := c.b.Func()
	// The optimizer's work grows faster than the program; a program this
	// far over the kernel's limit cannot come under it.
	if len(fn.Insns) > maxUnoptimized {
		return nil, nil, fmt.Errorf("%w: %d instructions before optimizing, the kernel accepts at most %d; split the profile or drop argument rules", ErrTooLarge, len(fn.Insns), bpf.BPF_MAXINSNS)
	}
	if !c.o.NoOptimize {
		var err error
		if fn, err = bpf.Optimize(fn); err != nil {
			return nil, nil, fmt.Errorf("optimize: %w", err)
		}
	}
	prog, notes, err := fn.Link()
	var ve *bpf.ValidationError
	if errors.As(err, &ve) && ve.Index < 0 {
		return nil, nil, fmt.Errorf("%w: %v; split the profile or drop argument rules", ErrTooLarge, err)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(prog) > bpf.BPF_MAXINSNS {
		return nil, nil, fmt.Errorf("%w: %d instructions, the kernel accepts at most %d", ErrTooLarge, len(prog), bpf.BPF_MAXINSNS)
	}
	// Fail closed: never hand out a program the kernel would refuse.
	if err := prog.Validate(); err != nil {
		return nil, nil, fmt.Errorf("internal error: the compiled program is invalid: %w", err)
	}
	return prog, notes, nil
}

// ByteOrder returns the byte order of the kernel the filter is for: the
// order of its first ABI, in which the program and seccomp_data are laid
// out.
func (f *Filter) ByteOrder() binary.ByteOrder { return f.Arches[0].ByteOrder() }

// Encode returns the program as the kernel's struct sock_filter array in
// the filter's byte order: what seccomp(2), bwrap --seccomp and
// PTRACE_SECCOMP_GET_FILTER use.
func (f *Filter) Encode() []byte { return f.Program.Encode(f.ByteOrder()) }

// Data is one system call as the filter sees it.
type Data = bpf.SeccompData

// DataFor returns the seccomp_data of system call nr on a with args.
func DataFor(a arch.Arch, nr uint32, args ...uint64) Data {
	d := Data{Nr: int32(nr), Arch: a.Audit()}
	copy(d.Args[:], args)
	return d
}

// Eval runs the filter on d, laid out in the byte order of abi (the ABI of
// the calling task), and returns the SECCOMP_RET_* value and the number
// of instructions executed.
func (f *Filter) Eval(abi arch.Arch, d Data) (uint32, int, error) {
	order := abi.ByteOrder()
	return bpf.NewVM(order).Run(f.Program, d.Marshal(order))
}

// Expect is the reference verdict of the filter Compile builds from p for
// host with o, stated in plain Go on top of profile.Evaluate: ENOSYS where
// runc's stub answers (StubENOSYS), and the bad-arch action for ABIs the
// filter does not cover.
func Expect(p *profile.Profile, host arch.Arch, o Options, d Data) (profile.Action, error) {
	arches := o.Arches
	if len(arches) == 0 {
		arches = append([]arch.Arch{host}, p.Arches...)
	}
	bad := o.BadArch
	if bad.Kind == 0 {
		bad = profile.DefaultBadArch
	}
	nr := uint32(d.Nr)
	// runc's stub comes before the filter proper.
	if !o.NoENOSYS && StubENOSYS(p, arches, d.Arch, nr) {
		return profile.Action{Kind: profile.ActErrno, Data: ENOSYS}, nil
	}
	// Which half of AUDIT_ARCH_X86_64 a number is in goes by comparison,
	// as in libseccomp's filters (jge 0x40000000), not by the bit.
	a, ok := arch.FromAudit(d.Arch)
	if ok && a == arch.X86_64 && nr >= arch.X32SyscallBit {
		a = arch.X32
	}
	if ok && a == arch.X32 && !covers(arches, arch.X32) && nr == 0xffffffff {
		a = arch.X86_64 // libseccomp lets -1 through on x86_64
	}
	if !ok || !covers(arches, a) {
		return bad, nil
	}
	q := *p
	q.Arches = arches
	return profile.Evaluate(&q, host, profile.Data{Nr: nr, Arch: d.Arch, Args: d.Args})
}

func covers(as []arch.Arch, a arch.Arch) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}
