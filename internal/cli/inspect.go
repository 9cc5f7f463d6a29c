package cli

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Helpers shared by dump, verify and diff.

// loadStack reads a filter stack: a dump directory (filter-N.bpf files),
// a raw BPF file (FILE.bpf, in host's byte order), or a profile compiled
// for host.
func loadStack(ref string, host arch.Arch, pf profileFlags) (inspect.Stack, error) {
	if st, err := os.Stat(ref); err == nil && st.IsDir() && !isBuiltinName(ref) {
		return inspect.ReadDir(ref, host.ByteOrder())
	}
	if strings.HasSuffix(ref, ".bpf") {
		p, err := inspect.ReadBPF(ref, host.ByteOrder())
		if err != nil {
			return nil, err
		}
		return inspect.Stack{p}, nil
	}
	f, _, err := compileProfile(ref, host.String(), pf, seccomp.Options{})
	if err != nil {
		return nil, err
	}
	return inspect.Stack{f.Program}, nil
}

// actionName is a SECCOMP_RET_* value by name.
func actionName(ret uint32) string { return seccomp.ActionOf(ret).String() }

// diffJSON is one difference in JSON.
type diffJSON struct {
	Arch      string        `json:"arch"`
	Syscall   string        `json:"syscall,omitempty"`
	Nr        uint32        `json:"nr"`
	Args      bool          `json:"argumentsMatter"`
	Inputs    int           `json:"inputs"`
	Differing int           `json:"differing"`
	Examples  []exampleJSON `json:"examples"`
}

type exampleJSON struct {
	Args []string `json:"args"`
	IP   string   `json:"ip,omitempty"`
	A    string   `json:"a"`
	B    string   `json:"b"`
}

func toJSON(ds []inspect.Difference) []diffJSON {
	out := make([]diffJSON, 0, len(ds))
	for _, d := range ds {
		j := diffJSON{Arch: diffArch(d), Syscall: d.Syscall, Nr: d.Nr, Args: d.ArgsMatter, Inputs: d.Inputs, Differing: d.Differing}
		for _, e := range d.Examples {
			x := exampleJSON{A: actionName(e.A), B: actionName(e.B)}
			for _, a := range e.Data.Args {
				x.Args = append(x.Args, fmt.Sprintf("%#x", a))
			}
			if e.Data.InstructionPointer != 0 {
				x.IP = fmt.Sprintf("%#x", e.Data.InstructionPointer)
			}
			j.Examples = append(j.Examples, x)
		}
		out = append(out, j)
	}
	return out
}

func diffArch(d inspect.Difference) string {
	if d.Arch == arch.Invalid {
		return "unknown-arch"
	}
	return d.Arch.String()
}

// printDiffs writes one line per system call; where the arguments matter,
// the argument values of each example. aName and bName label the sides.
func printDiffs(w io.Writer, ds []inspect.Difference, aName, bName string) {
	for _, d := range ds {
		name := d.Syscall
		if name == "" {
			name = fmt.Sprintf("#%d", d.Nr)
			if d.Arch != arch.Invalid && d.Nr > d.Arch.MaxSyscall() {
				name += " (beyond the table)"
			}
		} else {
			name = fmt.Sprintf("%s(%d)", name, d.Nr)
		}
		if d.Arch == arch.Invalid {
			name = "any call of an ABI the filters do not know"
		}
		e := d.Examples[0]
		if !d.ArgsMatter {
			fmt.Fprintf(w, "%s %s: %s %s, %s %s\n", diffArch(d), name, aName, actionName(e.A), bName, actionName(e.B))
			continue
		}
		fmt.Fprintf(w, "%s %s: differs on %d of %d argument values tried\n", diffArch(d), name, d.Differing, d.Inputs)
		for _, e := range d.Examples {
			fmt.Fprintf(w, "  %s: %s %s, %s %s\n", argText(e.Data), aName, actionName(e.A), bName, actionName(e.B))
		}
	}
}

// argText shows the arguments that are not zero.
func argText(d seccomp.Data) string {
	var s []string
	for i, a := range d.Args {
		if a != 0 {
			s = append(s, fmt.Sprintf("arg%d=%#x", i, a))
		}
	}
	if d.InstructionPointer != 0 {
		s = append(s, fmt.Sprintf("ip=%#x", d.InstructionPointer))
	}
	if len(s) == 0 {
		return "all arguments 0"
	}
	return strings.Join(s, " ")
}

// envCaveat says when a comparison of the profiles refs holds only for
// the capabilities and kernel it was made for: some rules of theirs
// depend on Docker's capability or kernel conditions that the command
// was not pinned to (--cap, --kernel), and the profiles are not the same
// text, which would decide alike for every set. "" when none applies.
// A comparison with a .bpf file or a dump directory, which hold the
// filter of one set, is about that set: no caveat.
func envCaveat(refs []string, names []string, pf profileFlags) string {
	var raws []*profile.Profile
	var deps []string
	for i, ref := range refs {
		if strings.HasSuffix(ref, ".bpf") {
			return ""
		}
		if st, err := os.Stat(ref); err == nil && st.IsDir() && !isBuiltinName(ref) {
			return ""
		}
		p, _, err := readProfile(ref, "")
		if err != nil {
			return ""
		}
		raws = append(raws, p)
		var idx []string
		for j, r := range p.Rules {
			caps := len(r.Includes.Caps) > 0 || len(r.Excludes.Caps) > 0
			kernel := r.Includes.MinKernel != "" || r.Excludes.MinKernel != ""
			if caps && pf.caps == nil || kernel && pf.kernel == "" {
				idx = append(idx, strconv.Itoa(j+1))
			}
		}
		if len(idx) > 0 {
			deps = append(deps, fmt.Sprintf("%s's rules %s", names[i], strings.Join(idx, ", ")))
		}
	}
	if len(deps) == 0 || len(raws) == 2 && reflect.DeepEqual(raws[0], raws[1]) {
		return ""
	}
	return fmt.Sprintf("compared for Docker's default capabilities and this kernel only: %s depend on capabilities or the kernel version (--cap and --kernel compare another set)", strings.Join(deps, "; "))
}
