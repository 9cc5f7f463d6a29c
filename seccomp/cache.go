package seccomp

import (
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
)

// Cacheable reports whether the kernel's seccomp action cache can serve
// system call nr of abi without running the filter: the kernel emulates
// the filter once per number with only nr and arch known
// (seccomp_is_const_allow in kernel/seccomp.c) and caches the numbers
// whose every path to a verdict reads nothing else and returns ALLOW.
// Such calls cost no BPF at all.
func (f *Filter) Cacheable(abi arch.Arch, nr uint32) bool {
	return ConstAllow(f.Program, abi.Audit(), nr)
}

// ConstAllow reports whether the kernel's action cache emulation
// (seccomp_is_const_allow) finds that program p allows system call nr of
// the ABI with audit value audit whatever its arguments. It follows the
// kernel's emulator: it knows the accumulator
// after loads of nr and arch, conditional jumps against constants, ja and
// and-with-constant; anything else (an argument load, X, ALU, memory)
// makes the answer "not cacheable".
func ConstAllow(p bpf.Program, audit, nr uint32) bool {
	var a uint32
	for pc := 0; pc < len(p); {
		ins := p[pc]
		switch ins.Op {
		case bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS:
			switch ins.K {
			case OffsetNr:
				a = nr
			case OffsetArch:
				a = audit
			default:
				return false
			}
			pc++
		case bpf.BPF_RET | bpf.BPF_K:
			return ins.K == SECCOMP_RET_ALLOW
		case bpf.BPF_JMP | bpf.BPF_JA:
			pc += int(ins.K) + 1
		case bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, bpf.BPF_JMP | bpf.BPF_JGE | bpf.BPF_K,
			bpf.BPF_JMP | bpf.BPF_JGT | bpf.BPF_K, bpf.BPF_JMP | bpf.BPF_JSET | bpf.BPF_K:
			var t bool
			switch ins.Op & 0xf0 {
			case bpf.BPF_JEQ:
				t = a == ins.K
			case bpf.BPF_JGE:
				t = a >= ins.K
			case bpf.BPF_JGT:
				t = a > ins.K
			case bpf.BPF_JSET:
				t = a&ins.K != 0
			}
			if t {
				pc += int(ins.Jt) + 1
			} else {
				pc += int(ins.Jf) + 1
			}
		case bpf.BPF_ALU | bpf.BPF_AND | bpf.BPF_K:
			a &= ins.K
			pc++
		default:
			return false
		}
	}
	return false
}
