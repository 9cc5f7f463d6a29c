// Package ruletree is a port of libseccomp's rule database for one system
// call (src/db.c, v2.5.4 to v2.6.1): the argument chains that
// seccomp_rule_add builds from a rule, the way db_rule_add merges each
// new chain into the tree of the rules before it (with libseccomp's
// reference counts, level links, refusals and loops), and the program
// that _gen_bpf_chain emits for the result. It is a port of that logic,
// not of the code: no code is shared.
//
// Package profile states what a profile means with it: it turns the
// rules of a profile into the libseccomp rules runc adds, adds them to a
// DB per system call (DB.Add; a Set holds those of one ABI), and asks
// the result what it decides (DB.Eval for one system call, DB.Entry for
// the compiler). The tree knows nothing of profiles: an Action is a value
// it only compares, an origin an index it hands back.
//
// libseccomp's own work grows exponentially with some sets of rules on
// one system call, and for a few it never ends; the model bounds its
// work (ErrTooComplex) and refuses the loops (ErrLibseccompLoop). See
// package profile's documentation for the semantics and the deviations.
package ruletree
