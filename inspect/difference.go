package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/seccomp"
)

// actionName is a SECCOMP_RET_* value by name.
func actionName(ret uint32) string { return seccomp.ActionOf(ret).String() }

// differenceJSON is the JSON form of a Difference.
type differenceJSON struct {
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

// MarshalJSON writes d with names: its ABI ("unknown-arch" for an ABI no
// filter knows), its system call, and the verdicts of each example.
func (d Difference) MarshalJSON() ([]byte, error) {
	j := differenceJSON{Arch: diffArch(d), Syscall: d.Syscall, Nr: d.Nr, Args: d.ArgsMatter, Inputs: d.Inputs, Differing: d.Differing}
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
	return json.Marshal(j)
}

func diffArch(d Difference) string {
	if d.Arch == arch.Invalid {
		return "unknown-arch"
	}
	return d.Arch.String()
}

// WriteDifferences writes one line per system call of ds; where the
// arguments matter, the argument values of each example. aName and bName
// label the sides.
func WriteDifferences(w io.Writer, ds []Difference, aName, bName string) {
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

// Describe is the text of e with the stacks named by names (for "... of
// live filter 0").
func (e *NotProvenError) Describe(names [2]string) string {
	if e.PC < 0 {
		return e.Reason
	}
	return fmt.Sprintf("instruction %d (%s) of %s filter %d: %s", e.PC, e.Instruction, names[e.Stack], e.Filter, e.Reason)
}
