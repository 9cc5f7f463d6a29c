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
// conditions on several arguments are reached. Two programs that compare
// the same words with the same constants cannot differ between the values
// tried; the search is bounded per system call (CompareOptions.MaxInputs).
package inspect
