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
// makes the answer "not cacheable". It is the walk the gate makes
// (partialEval), asked for the verdict ALLOW.
func ConstAllow(p bpf.Program, audit, nr uint32) bool {
	ret, _, ok := partialEval(p, audit, nr)
	return ok && ret == SECCOMP_RET_ALLOW
}
