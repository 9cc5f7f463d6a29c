package profile

import (
	"fmt"
	"strings"
)

// Op is an argument comparison, in the order of libseccomp's SCMP_CMP_*.
type Op uint8

// The comparisons.
const (
	OpNE       Op = iota + 1 // SCMP_CMP_NE: arg != Value
	OpLT                     // SCMP_CMP_LT: arg < Value
	OpLE                     // SCMP_CMP_LE: arg <= Value
	OpEQ                     // SCMP_CMP_EQ: arg == Value
	OpGE                     // SCMP_CMP_GE: arg >= Value
	OpGT                     // SCMP_CMP_GT: arg > Value
	OpMaskedEQ               // SCMP_CMP_MASKED_EQ: arg & Value == ValueTwo & Value
)

var opNames = [...]string{
	OpNE: "NE", OpLT: "LT", OpLE: "LE", OpEQ: "EQ", OpGE: "GE", OpGT: "GT", OpMaskedEQ: "MASKED_EQ",
}

var opSymbols = [...]string{
	OpNE: "!=", OpLT: "<", OpLE: "<=", OpEQ: "==", OpGE: ">=", OpGT: ">", OpMaskedEQ: "&",
}

func (o Op) valid() bool { return o >= OpNE && o <= OpMaskedEQ }

// String returns the libseccomp name without its prefix, such as "EQ" or
// "MASKED_EQ".
func (o Op) String() string {
	if !o.valid() {
		return fmt.Sprintf("Op(%d)", uint8(o))
	}
	return opNames[o]
}

// SCMP returns the SCMP_CMP_* token OCI profiles use.
func (o Op) SCMP() string { return "SCMP_CMP_" + o.String() }

// ParseOp reads a comparison spelled as an SCMP_CMP_* token, its short
// name ("EQ", "MASKED_EQ") or a C operator ("==", "!=", "<", "<=", ">=",
// ">", "&"), in any case.
func ParseOp(s string) (Op, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "SCMP_CMP_")
	for o := OpNE; o <= OpMaskedEQ; o++ {
		if t == opNames[o] || t == opSymbols[o] {
			return o, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown operator %q (want one of %s)", ErrInvalid, s, strings.Join(OpNames(), ", "))
}

// OpNames returns the SCMP_CMP_* tokens in libseccomp's order.
func OpNames() []string {
	var out []string
	for o := OpNE; o <= OpMaskedEQ; o++ {
		out = append(out, o.SCMP())
	}
	return out
}

// MaxArg is the highest argument index: system calls have six arguments.
const MaxArg = 5

// Cond is a comparison of one system-call argument.
type Cond struct {
	Arg      uint8  // 0..5
	Op       Op     //
	Value    uint64 // the datum; for OpMaskedEQ the mask (OCI "value")
	ValueTwo uint64 // for OpMaskedEQ the datum compared after masking (OCI "valueTwo")
}

// Match reports whether the argument value v satisfies c, comparing all 64
// bits. For OpMaskedEQ both sides are masked, as libseccomp does:
// v & Value == ValueTwo & Value.
func (c Cond) Match(v uint64) bool {
	switch c.Op {
	case OpNE:
		return v != c.Value
	case OpLT:
		return v < c.Value
	case OpLE:
		return v <= c.Value
	case OpEQ:
		return v == c.Value
	case OpGE:
		return v >= c.Value
	case OpGT:
		return v > c.Value
	case OpMaskedEQ:
		return v&c.Value == c.ValueTwo&c.Value
	}
	return false
}

// Low32 returns c as a 32-bit ABI applies it: libseccomp compares only the
// low 32 bits of the argument with the low 32 bits of the datum and mask
// (_db_rule_gen_32 truncates them without a warning).
func (c Cond) Low32() Cond {
	c.Value &= 0xffffffff
	c.ValueTwo &= 0xffffffff
	if c.Op != OpMaskedEQ {
		c.ValueTwo = 0
	}
	return c
}

// String returns c in C-like notation: "arg0 == 0x5",
// "arg1 & 0xff == 0x10".
func (c Cond) String() string {
	if c.Op == OpMaskedEQ {
		return fmt.Sprintf("arg%d & %#x == %#x", c.Arg, c.Value, c.ValueTwo&c.Value)
	}
	if !c.Op.valid() {
		return fmt.Sprintf("arg%d %s %#x", c.Arg, c.Op, c.Value)
	}
	return fmt.Sprintf("arg%d %s %#x", c.Arg, opSymbols[c.Op], c.Value)
}

func (c Cond) validate() error {
	if c.Arg > MaxArg {
		return fmt.Errorf("%w: argument index %d out of range 0..%d", ErrInvalid, c.Arg, MaxArg)
	}
	if !c.Op.valid() {
		return fmt.Errorf("%w: unknown operator %d", ErrInvalid, c.Op)
	}
	return nil
}

// Conjunctions splits a rule's conditions into the groups runc makes of
// them (libcontainer/seccomp's matchCall): one group, all conditions
// ANDed, when no argument index repeats; otherwise one group per
// condition, so that the rule means their OR. A rule without conditions
// is one empty group. Every reader and writer of runc's semantics groups
// conditions through it.
func Conjunctions(conds []Cond) [][]Cond {
	var seen [MaxArg + 1]bool
	for _, c := range conds {
		if int(c.Arg) < len(seen) && !seen[c.Arg] {
			seen[c.Arg] = true
			continue
		}
		out := make([][]Cond, len(conds))
		for i, c := range conds {
			out[i] = []Cond{c}
		}
		return out
	}
	return [][]Cond{conds}
}
