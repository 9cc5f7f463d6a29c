package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
)

func newDisasmCmd(e *env) *cobra.Command {
	var archFlag string
	c := &cobra.Command{
		Use:   "disasm [-a ARCH] FILE",
		Short: "Disassemble a raw seccomp BPF filter",
		Long: `Disasm prints a raw seccomp filter (the kernel's struct sock_filter array, as
written by 'syscage compile -o', 'syscage dump' or any other tool) as
text. ARCH (default: this binary's) gives the byte order of the file and
names the system-call numbers the filter compares against. The text reads
back with 'syscage asm'. FILE "-" reads stdin.`,
		Example: `  syscage compile -o f.bpf docker-default && syscage disasm f.bpf
  syscage disasm -a aarch64 filter.bpf`,
		Args: cmdArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			a, err := parseArchFlag(archFlag)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			data, err := readInput(e, args[0])
			if err != nil {
				return withCode(ExitFailure, err)
			}
			p, err := bpf.Decode(data, a.ByteOrder())
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("%s: %w", args[0], err))
			}
			if err := p.Validate(); err != nil {
				fmt.Fprintf(e.stderr, "syscage: warning: %s: the kernel would refuse this filter: %v\n", args[0], err)
			}
			fmt.Fprint(e.stdout, bpf.Disassemble(p, bpf.DisasmOptions{NameSyscall: arch.Namer(append([]arch.Arch{a}, a.Compat()...))}))
			return nil
		},
	}
	c.Flags().StringVarP(&archFlag, "arch", "a", "", "byte order and syscall names of `ARCH` (default: this binary's)")
	_ = c.RegisterFlagCompletionFunc("arch", completeArch)
	return c
}

func newAsmCmd(e *env) *cobra.Command {
	var archFlag, out string
	c := &cobra.Command{
		Use:   "asm [-a ARCH] [-o FILE] FILE",
		Short: "Assemble seccomp BPF text into a raw filter",
		Long: `Asm reads classic-BPF text, in the syntax 'syscage disasm' prints, with
labels ("name:" lines, jump targets by name) and comments after ";", and
writes the raw struct sock_filter array in ARCH's byte order. The program
is checked with the kernel's rules for seccomp filters first; on any error
nothing is written. FILE "-" reads stdin.`,
		Example: `  syscage disasm f.bpf > f.txt && syscage asm -o f2.bpf f.txt
  syscage asm -o deny-uname.bpf deny-uname.txt`,
		Args: cmdArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			a, err := parseArchFlag(archFlag)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			text, err := readInput(e, args[0])
			if err != nil {
				return withCode(ExitFailure, err)
			}
			p, err := bpf.AssembleFile(args[0], string(text))
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if err := p.Validate(); err != nil {
				return withCode(ExitFailure, fmt.Errorf("%s: %w", args[0], err))
			}
			if out == "" && isTerminal(e.stdout) {
				return usagef("refusing to write binary BPF to a terminal; use -o FILE")
			}
			return writeOutput(e, out, p.Encode(a.ByteOrder()))
		},
	}
	c.Flags().StringVarP(&archFlag, "arch", "a", "", "byte order of `ARCH` (default: this binary's)")
	c.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of stdout")
	return c
}

func readInput(e *env, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(path)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
