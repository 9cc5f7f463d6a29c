package seccomp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// Trace is one system call run through a filter in the emulator: the
// verdict and the path to it.
type Trace struct {
	Arch     string   `json:"arch"`
	Syscall  string   `json:"syscall,omitempty"`
	Nr       uint32   `json:"nr"`
	Args     []uint64 `json:"args"`
	Action   string   `json:"action"`
	Ret      uint32   `json:"ret"`
	Executed int      `json:"executed"`
	Path     []string `json:"path"` // the instructions executed, disassembled with their notes
	// Reference is the verdict the profile's reference semantics give
	// (Expect), when the caller has a profile.
	Reference string `json:"reference,omitempty"`
}

// Emulate runs prog on system call nr (name, or "" when unknown) of ABI
// a with args, in the BPF emulator, as a task of ABI a makes it. notes
// are prog's instruction notes, or nil.
func Emulate(prog bpf.Program, notes []string, a arch.Arch, nr uint32, name string, args []uint64) (*Trace, error) {
	d := DataFor(a, nr, args...)
	vm := bpf.NewVM(a.ByteOrder())
	var path []int
	vm.Trace = func(pc int) { path = append(path, pc) }
	ret, executed, err := vm.Run(prog, d.Marshal(a.ByteOrder()))
	if err != nil {
		return nil, err
	}
	t := &Trace{Arch: a.String(), Syscall: name, Nr: nr, Args: append([]uint64{}, args...), Ret: ret, Executed: executed, Action: ActionOf(ret).String()}
	lines := strings.Split(strings.TrimRight(bpf.Disassemble(prog, bpf.DisasmOptions{Notes: notes, NameSyscall: arch.Namer([]arch.Arch{a})}), "\n"), "\n")
	for _, pc := range path {
		if pc < len(lines) {
			t.Path = append(t.Path, lines[pc])
		}
	}
	return t, nil
}

// EmulateProfile compiles p for host with o and emulates (Emulate) the
// system call nr (name) of ABI abi with args through the filter. The
// Trace's Reference is the verdict of the reference semantics (Expect),
// independent of the compiler: Mismatch reports when the two disagree.
func EmulateProfile(p *profile.Profile, host arch.Arch, o Options, abi arch.Arch, nr uint32, name string, args []uint64) (*Trace, error) {
	f, err := Compile(p, host, o)
	if err != nil {
		return nil, err
	}
	want, err := Expect(p, host, o, DataFor(abi, nr, args...))
	if err != nil {
		return nil, err
	}
	t, err := Emulate(f.Program, f.Notes, abi, nr, name, args)
	if err != nil {
		return nil, err
	}
	t.Reference = want.String()
	return t, nil
}

// Mismatch returns an error when t has a Reference verdict and the
// filter's differs from it: a compiler bug.
func (t *Trace) Mismatch() error {
	if t.Reference == "" || t.Reference == t.Action {
		return nil
	}
	return fmt.Errorf("compiler bug: the filter says %s but the profile says %s; please report this with the profile", t.Action, t.Reference)
}

// Text is t as syscage emu prints it: the call and its verdict, then the
// instructions executed.
func (t *Trace) Text() string {
	label := fmt.Sprint(t.Nr)
	if t.Syscall != "" {
		label = fmt.Sprintf("%s (%d)", t.Syscall, t.Nr)
	}
	args := make([]string, len(t.Args))
	for i, x := range t.Args {
		args[i] = fmt.Sprintf("%#x", x)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s(%s) -> %s after %d instructions\n", t.Arch, label, strings.Join(args, ", "), t.Action, t.Executed)
	for _, l := range t.Path {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	return b.String()
}

// ParseArgs reads system-call arguments (ParseArg); an error names the
// argument it is about.
func ParseArgs(ss []string) ([]uint64, error) {
	var vals []uint64
	for _, s := range ss {
		v, err := ParseArg(s)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", s, err)
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// ParseArg reads a 64-bit system-call argument: decimal, 0x hex, or
// negative (two's complement, as the kernel passes -1).
func ParseArg(s string) (uint64, error) {
	var v uint64
	var err error
	if strings.HasPrefix(s, "-") {
		var n int64
		n, err = strconv.ParseInt(s, 0, 64)
		v = uint64(n)
	} else {
		v, err = strconv.ParseUint(s, 0, 64)
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, errors.New("out of the range of a 64-bit argument")
	}
	if err != nil {
		return 0, errors.New("not a number (want decimal, 0x hex, or negative)")
	}
	return v, nil
}
