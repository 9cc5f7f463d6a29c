// Package inspect looks at seccomp filters as the kernel runs them: the
// filters a running process really has (Dump), and what a filter, or a
// stack of filters, decides compared with another (Compare), by meaning
// rather than by bytes.
//
// Compare runs both stacks in the BPF VM over every ABI syscage knows (and
// an unknown one), every system-call number of each table, the numbers the
// programs compare against with their neighbours (which covers the numbers
// beyond the tables), and, where a program looks at the arguments or the
// instruction pointer, inputs built from the constants the programs
// compare those words with: each word a program loads on the way to a
// verdict is set in turn to every constant compared with that word, and
// one above and below it (and, for masked tests, the mask), starting from
// all-zero arguments and following the new paths this opens, so that
// conditions on several arguments are reached.
//
// That search is a proof, not a sample: before it, a prover interprets
// every program abstractly and follows every value it computes from the
// input (through every ALU operation, X, scratch memory and the length
// loads) as an exact function of one 32-bit word of seccomp_data, kept as
// binary decision diagrams. The predicates the jumps test on each word cut
// its values into classes no program tells apart, and the search tries a
// value of every class, of numbers, architectures and arguments alike, so
// a trigger hidden behind an xor or a multiplication is found. Where a
// program leaves what the prover follows exactly (a value computed from
// two different words, a verdict computed from the input, budgets), or
// the search needs more than CompareOptions.MaxInputs inputs for a call,
// Compare returns a *NotProvenError that names the instruction: equality
// is claimed only when it is proven.
package inspect
