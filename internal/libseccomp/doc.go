// Package libseccomp builds seccomp filters with the system's libseccomp,
// the way runc does, so that syscage's own compiler can be compared with
// what people deploy. It is an oracle for tests and benchmarks only: the
// code needs cgo and libseccomp-dev and is built with the libseccomp build
// tag (go test -tags libseccomp). Without the tag the package is empty.
//
// Build follows runc's libcontainer/seccomp (InitSeccomp and matchCall) and
// libseccomp-golang's NewFilter, AddArch and AddRuleConditional:
//
//   - seccomp_init(default action), with TSYNC on as libseccomp-golang sets
//     it; SCMP_FLTATR_ACT_BADARCH stays libseccomp's default (KILL_THREAD),
//     which runc does not change;
//   - seccomp_arch_add for every ABI of the profile, an ABI already present
//     being no error;
//   - SCMP_FLTATR_CTL_OPTIMIZE as Options.Optimize says (runc uses 2 for
//     profiles of more than 32 system calls);
//   - for each rule and each of its names, in order: rules whose action is
//     the default are skipped, names libseccomp cannot resolve are skipped,
//     and the conditions go to seccomp_rule_add_array (not the _exact
//     variant) all in one rule when no argument index repeats, or each in
//     a rule of its own when one does;
//   - seccomp_export_bpf.
//
// runc's own additions are left out: the ENOSYS stub that patchbpf puts in
// front of the filter (syscage's compiler has it as an option, see
// seccomp.Options.NoENOSYS), and its policy checks (SCMP_ACT_NOTIFY as the
// default action or for write(2)), which refuse profiles rather than build
// them differently.
//
// libseccomp names system calls as the machine it runs on does and
// translates them to the filter's ABIs by name, so Build can build a filter
// for another host than the machine's: it replaces the native ABI with the
// host's, as runc on that host would have it. The program is decoded in the
// host's byte order.
//
// It is the one libseccomp oracle of the tests, and says too what of its
// filters may be compared with syscage's: KnownNames drops the names the
// installed libseccomp lacks, Comparable tells the system calls its
// tables name as syscage's do, and Bug finds the marks of libseccomp's
// code-generation bugs on an input's path through its filter.
package libseccomp
