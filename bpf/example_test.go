package bpf_test

import (
	"encoding/binary"
	"fmt"

	"github.com/syscage/syscage/bpf"
)

// Build a filter that refuses execve with EPERM on x86_64, print it, and
// run it.
func Example() {
	const auditArchX86_64 = 0xc000003e
	b := bpf.NewBuilder()
	kill, allow := b.NewLabel(), b.NewLabel()

	b.SetNote("arch check")
	b.LoadAbs(bpf.OffsetArch)
	b.JumpIf(bpf.BPF_JEQ, auditArchX86_64, 0, kill)
	b.SetNote("")
	b.LoadAbs(bpf.OffsetNr)
	b.JumpIf(bpf.BPF_JEQ, 59, 0, allow)
	b.SetNote("deny execve")
	b.Ret(0x00050000 | 1) // SECCOMP_RET_ERRNO | EPERM
	b.SetNote("")
	b.Bind(allow)
	b.Ret(0x7fff0000) // SECCOMP_RET_ALLOW
	b.Bind(kill)
	b.Ret(0x80000000) // SECCOMP_RET_KILL_PROCESS

	prog, notes, err := b.Link()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(bpf.Disassemble(prog, bpf.DisasmOptions{
		Notes: notes,
		NameSyscall: func(nr uint32) (string, bool) {
			return "execve", nr == 59
		},
		Order: binary.LittleEndian,
	}))

	vm := bpf.NewVM(binary.LittleEndian)
	for _, nr := range []int32{59, 0} {
		data := bpf.SeccompData{Nr: nr, Arch: auditArchX86_64}.Marshal(binary.LittleEndian)
		ret, n, err := vm.Run(prog, data)
		fmt.Printf("nr %d: %#x after %d instructions, err %v\n", nr, ret, n, err)
	}
	// Output:
	//    0: ld [4]                   ; arch; arch check
	//    1: jeq #0xc000003e, 2, 6    ; arch check
	//    2: ld [0]                   ; nr
	//    3: jeq #59, 4, 5            ; execve
	//    4: ret ERRNO(1)             ; deny execve
	//    5: ret ALLOW
	//    6: ret KILL_PROCESS
	// nr 59: 0x50001 after 5 instructions, err <nil>
	// nr 0: 0x7fff0000 after 5 instructions, err <nil>
}
