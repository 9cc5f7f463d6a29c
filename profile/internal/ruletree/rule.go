package ruletree

import "fmt"

// Action is an action as the tree keeps it: a value it compares and
// hands back, never reads. Package profile packs its actions into it.
type Action uint32

// Op is an argument comparison, in the order of libseccomp's SCMP_CMP_*
// (package profile's Op has the same values).
type Op uint8

// The comparisons.
const (
	OpNE       Op = iota + 1 // SCMP_CMP_NE
	OpLT                     // SCMP_CMP_LT
	OpLE                     // SCMP_CMP_LE
	OpEQ                     // SCMP_CMP_EQ
	OpGE                     // SCMP_CMP_GE
	OpGT                     // SCMP_CMP_GT
	OpMaskedEQ               // SCMP_CMP_MASKED_EQ
)

var opNames = [...]string{
	OpNE: "NE", OpLT: "LT", OpLE: "LE", OpEQ: "EQ", OpGE: "GE", OpGT: "GT", OpMaskedEQ: "MASKED_EQ",
}

// String returns the libseccomp name without its prefix, such as "EQ".
func (o Op) String() string {
	if o < OpNE || o > OpMaskedEQ {
		return fmt.Sprintf("Op(%d)", uint8(o))
	}
	return opNames[o]
}

// MaxArg is the highest argument index.
const MaxArg = 5

// Cond is a comparison of one system-call argument, as in
// seccomp_rule_add: for OpMaskedEQ, Value is the mask and ValueTwo the
// datum.
type Cond struct {
	Arg             uint8
	Op              Op
	Value, ValueTwo uint64
}

// CondRule is a conjunction of argument conditions and its action: one
// path of a tree.
type CondRule struct {
	Conds  []Cond // ANDed; several may test one argument
	Action Action
	Origin int // of the rule the action comes from
}

// DecidedByDefault is the origin of the leaves of a Decision where no
// rule decides.
const DecidedByDefault = -1
