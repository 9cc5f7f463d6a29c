package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/pflag"
)

// maxPID is the largest process ID Linux hands out (PID_MAX_LIMIT on
// 64-bit kernels).
const maxPID = 1 << 22

// pidValue is a --pid flag: a process ID, a whole number from 1 to
// maxPID. 0 means not given.
type pidValue struct{ p *int }

func (v pidValue) String() string {
	if v.p == nil || *v.p == 0 {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v pidValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > maxPID {
		return fmt.Errorf("%q is not a process ID (want a whole number from 1 to %d)", s, maxPID)
	}
	*v.p = n
	return nil
}

func (v pidValue) Type() string { return "int" }

// pidVar defines a --pid flag stored in p.
func pidVar(f *pflag.FlagSet, p *int, usage string) {
	f.Var(pidValue{p}, "pid", usage)
}

// writeJSON writes v to w as indented JSON, as every --json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
