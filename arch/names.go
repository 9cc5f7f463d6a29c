package arch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Namer returns a function that names a system-call number as the first
// ABI of as whose table has it does, as bpf.DisasmOptions.NameSyscall
// takes it.
func Namer(as []Arch) func(nr uint32) (string, bool) {
	return func(nr uint32) (string, bool) {
		for _, a := range as {
			if n, ok := a.SyscallName(nr); ok {
				return n, true
			}
		}
		return "", false
	}
}

// AuditName names an AUDIT_ARCH_* value, as bpf.DisasmOptions.NameArch
// takes it.
func AuditName(v uint32) (string, bool) {
	a, ok := FromAudit(v)
	if !ok {
		return "", false
	}
	return a.String(), true
}

// Having returns the ABIs whose table has the system call name.
func Having(name string) []Arch {
	var out []Arch
	for _, a := range All() {
		if _, ok := a.SyscallNumber(name); ok {
			out = append(out, a)
		}
	}
	return out
}

// Lookup is the answer to a query about a system call on an ABI: a
// number, or a name reached directly or through a multiplexer
// (socketcall, ipc).
type Lookup struct {
	Arch  string `json:"arch"`
	Query string `json:"query,omitempty"`
	Name  string `json:"name,omitempty"`
	// Nr is the direct system-call number; nil when the call exists only
	// through a multiplexer.
	Nr          *uint32      `json:"nr,omitempty"`
	Multiplexer *Multiplexer `json:"multiplexer,omitempty"`
	// Error says that a has no such call; the other fields but Arch,
	// Query and (for a number) Nr are empty then.
	Error string `json:"error,omitempty"`
}

// Describe returns what a knows of the system call name; query is the
// question asked.
func (a Arch) Describe(name, query string) Lookup {
	r := Lookup{Arch: a.String(), Query: query, Name: name}
	if nr, ok := a.SyscallNumber(name); ok {
		r.Nr = &nr
	}
	if m, ok := a.Multiplexed(name); ok {
		r.Multiplexer = &m
	}
	return r
}

// Lookup answers q, a system-call number (decimal or 0x hex) or name on
// a, as scmp_sys_resolver and ausyscall do. A name a lacks is an Error
// that lists the ABIs that have it.
func (a Arch) Lookup(q string) Lookup {
	if nr, err := ParseNumber(q); err == nil {
		name, found := a.SyscallName(nr)
		if !found {
			return Lookup{Arch: a.String(), Query: q, Nr: &nr, Error: fmt.Sprintf("no system call %d on %s", nr, a)}
		}
		return a.Describe(name, q)
	}
	r := a.Describe(q, q)
	if r.Nr == nil && r.Multiplexer == nil {
		r.Name = ""
		r.Error = fmt.Sprintf("unknown system call %q on %s", q, a)
		if others := Having(q); len(others) > 0 {
			s := make([]string, len(others))
			for i, o := range others {
				s[i] = o.String()
			}
			r.Error += fmt.Sprintf(" (it exists on %s)", strings.Join(s, ", "))
		}
	}
	return r
}

// ParseSyscall reads a system call given by number (any number; name is
// "" when a's table lacks it) or by name. A name a reaches only through
// a multiplexer is an error that says which call to give instead.
func (a Arch) ParseSyscall(s string) (nr uint32, name string, err error) {
	if nr, err := ParseNumber(s); err == nil {
		name, _ := a.SyscallName(nr)
		return nr, name, nil
	}
	nr, ok := a.SyscallNumber(s)
	if !ok {
		if m, ok := a.Multiplexed(s); ok {
			return 0, "", fmt.Errorf("%s is reached through %s(%d) on %s: emulate '%s %d'", s, m.Syscall, m.Nr, a, m.Syscall, m.Call)
		}
		return 0, "", fmt.Errorf("unknown system call %q on %s", s, a)
	}
	return nr, s, nil
}

// Number is r's number as syscage resolve prints it: decimal, or, for a
// call reached only through a multiplexer, "ipc(117) call 1".
func (r Lookup) Number() string {
	if r.Nr != nil {
		return strconv.FormatUint(uint64(*r.Nr), 10)
	}
	if m := r.Multiplexer; m != nil {
		return fmt.Sprintf("%s(%d) call %d", m.Syscall, m.Nr, m.Call)
	}
	return ""
}

// Grep describes (Describe) each system call of a whose name contains
// one of subs, in the order of a's table; every one when subs is empty.
func (a Arch) Grep(subs ...string) []Lookup {
	var out []Lookup
	for _, s := range a.Syscalls() {
		if len(subs) == 0 || slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s.Name, sub) }) {
			out = append(out, a.Describe(s.Name, ""))
		}
	}
	return out
}

// Answers answers the questions of syscage resolve on a: when all is
// set or subs are given, the system calls whose names contain one of
// subs (Grep; every call when subs is empty), then one Lookup for each
// query of qs. unknown counts the queries a cannot answer, and subs
// when no name contains any of them.
func (a Arch) Answers(qs, subs []string, all bool) (out []Lookup, unknown int) {
	if all || len(subs) > 0 {
		if out = a.Grep(subs...); len(subs) > 0 && len(out) == 0 {
			unknown++
		}
	}
	for _, q := range qs {
		r := a.Lookup(q)
		if r.Error != "" {
			unknown++
		}
		out = append(out, r)
	}
	return out, unknown
}

// Line is r as syscage resolve prints it: in a table, the number and the
// name; else the name when the query was a number, the number when it
// was a name. "" for a query a cannot answer (Error).
func (r Lookup) Line(table bool) string {
	switch {
	case r.Error != "":
		return ""
	case table:
		return fmt.Sprintf("%-10s %s", r.Number(), r.Name)
	case r.Query != r.Name:
		return r.Name
	}
	return r.Number()
}
