// Package bpf is a classic BPF toolkit for seccomp filters: instructions and
// their encoding, validation with exactly the kernel's rules, a builder with
// labels, optimizer passes, a VM with the kernel's semantics, and a text
// assembler and disassembler that read each other's output.
//
// A filter is built symbolically, with labels instead of offsets:
//
//	b := bpf.NewBuilder()
//	allow := b.NewLabel()
//	b.LoadAbs(bpf.OffsetNr)
//	b.JumpIf(bpf.BPF_JEQ, 59, 0, allow) // execve: fall through
//	b.Ret(0x00050001)                   // SECCOMP_RET_ERRNO | EPERM
//	b.Bind(allow)
//	b.Ret(0x7fff0000) // SECCOMP_RET_ALLOW
//	prog, notes, err := b.Link()
//
// Optimize rewrites a Func (the symbolic form, from Builder.Func) into an
// equivalent smaller one; Link turns it into a Program, inserting ja
// trampolines for conditional jumps farther than 255 instructions, and
// checks it with Validate.
//
// The kernel reads a filter in the target's native byte order, and its
// loads read seccomp_data in that order too: Program.Encode, Decode,
// SeccompData.Marshal and NewVM all take the target's binary.ByteOrder, so
// results do not depend on the host.
//
// The package uses only the standard library.
package bpf
