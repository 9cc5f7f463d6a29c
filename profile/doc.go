// Package profile is syscage's format-neutral model of a seccomp policy
// (Profile, Rule, Cond, Action, Op) and states what a profile means.
//
// Profiles mean what runc and libseccomp make of them, because that is
// what people deploy. Evaluate is that meaning in plain Go, computed from
// the profile for one system call; Table is the same meaning laid out per
// ABI for the compiler: for each system-call number an unconditional
// action, or an ordered list of argument rules (first match wins) and a
// fallback. The tests check Table against Evaluate on every system call
// of every ABI, and (build tag libseccomp) Evaluate against the filters
// libseccomp itself builds for random profiles.
//
// # Conditional profiles
//
// Docker's includes, excludes and archMap are kept in the model for round
// trips and applied by Resolve, exactly as moby's setupSeccomp does
// (profiles/seccomp/seccomp_linux.go): archMap gives the architectures of
// the host's entry; a rule is dropped if excludes.arches has the host,
// any of excludes.caps is in the bounding set or the kernel is at least
// excludes.minKernel; it is kept only if includes.arches (when set) has
// the host, all of includes.caps are in the set and the kernel is at
// least includes.minKernel. Kernel versions compare on "major.minor"
// only, as moby's kernelGreaterEqualThan does. Table and Evaluate refuse
// unresolved profiles.
//
// moby compares includes and excludes arches as exact strings with its
// own name of the host (goToNative: amd64, x86, arm64, mipsel,
// loongarch64, mips3l64n32, ...), so Filter.Arches holds the hosts
// those names match; package oci refuses other spellings, which would
// never match ("x86_64", "mipsle", "loong64"), and names of hosts moby
// has none for ("mips"). "x32", which moby's default profile writes,
// matches no host. moby applies no archMap entry on hosts whose name its
// nativeToSeccomp map spells otherwise (mipsel, loongarch64): package
// oci refuses such entries with sub-architectures. Resolve drops
// archMap sub-architectures of the other byte order than the host's (a
// kernel never runs them; systemd filters each ABI apart).
//
// # Architectures
//
// The filter covers the kernel's native ABI (libseccomp's seccomp_init
// adds it and runc never removes it) and Profile.Arches
// (seccomp_arch_add). A system call of any other ABI gets DefaultBadArch,
// KILL_THREAD: libseccomp's default SCMP_FLTATR_ACT_BADARCH, which runc
// (libcontainer/seccomp/seccomp_linux.go) does not change. x86_64 and x32
// share AUDIT_ARCH_X86_64 and are told apart by bit 30 of the number
// (_gen_bpf_arch in src/gen_bpf.c): with both covered the bit selects the
// ABI; with x86_64 alone a number with the bit is a bad architecture
// except -1 (0xffffffff, which tracers use to skip a call: it gets the
// default action); with x32 alone a number without the bit is a bad
// architecture (and -1, which has the bit, is an x32 number).
//
// # From rules to libseccomp calls
//
// runc (libcontainer/specconv SetupSeccomp and seccomp.matchCall) adds
// one libseccomp rule per name:
//
//   - a rule whose action equals the default, errno included, is skipped;
//   - SCMP_ACT_KILL is KILL_THREAD; ERRNO and TRACE without errnoRet mean
//     ERRNO(EPERM) and TRACE(EPERM) (runc's actErrno and actTrace);
//   - conditions on distinct arguments form one rule (ANDed); if any
//     argument index repeats, every condition becomes a rule of its own
//     (ORed), in the order written;
//   - a name is resolved per ABI by name (libseccomp translates the native
//     number by name). A name an ABI lacks is skipped there with a warning
//     (Table.Unknown), or is an error with TableOptions.Strict. On ABIs
//     without socketcall/ipc libseccomp still files such a rule under a
//     pseudo-syscall number that is never emitted, and refuses it if it
//     conflicts there (arch_filter_rule_add); Table reports that refusal.
//   - on ABIs that multiplex socket and System V IPC calls (x86, s390,
//     s390x, ppc, ppc64, ppc64le, mips o32, m68k, sh: arch.Multiplexed),
//     libseccomp's abi_rule_add (src/syscalls.c) adds, before the direct
//     rule, a rule for socketcall(2) or ipc(2) whose first argument
//     condition is replaced by arg0 == sub-call and whose other
//     conditions are kept as they are.
//
// The model assumes a libseccomp whose system-call tables are syscage's
// (package arch). runc with an older libseccomp skips, on every ABI,
// names its tables lack.
//
// # Several rules for one system call
//
// The rules for one number on one ABI are merged by a port of
// libseccomp's db_rule_add (src/db.c, v2.5.x to v2.6.0; package
// profile/internal/ruletree, which Table and Evaluate use): the argument
// chains of _db_rule_gen_64 (64-bit ABIs: each 64-bit comparison becomes
// comparisons of the high and the low 32-bit words) and _db_rule_gen_32,
// then _db_tree_prune and _db_tree_add with their level ordering
// (_db_chain_lt: argument index, high word before low, EQ/NE/MASKED_EQ
// before LT/LE before GT/GE, then the datum), reference counts and
// quirks. In particular:
//
//   - the first unconditional rule wins; an unconditional rule replaces
//     the conditional ones before it; conditional rules after an
//     unconditional one are dropped;
//   - of conditional rules that can both match, the tree order decides,
//     not the order of the profile; a rule whose leading comparisons
//     coincide with an earlier, shorter rule may be dropped in part or in
//     whole; rules whose comparisons coincide but whose actions differ make
//     libseccomp fail with EEXIST, and runc with it: Table and Evaluate
//     return an error wrapping ErrInvalid;
//   - a MASKED_EQ condition with a zero mask is no condition at all, so a
//     rule made only of such conditions is unconditional;
//   - on 32-bit ABIs (x86, x32, arm, mips o32 and n32, ppc, s390, ...)
//     only the low 32 bits of an argument are compared, with the low 32
//     bits of the datum and mask: _db_rule_gen_32 truncates them without a
//     warning, and the high bits of the datum are ignored. Table's
//     conditions on such ABIs are already truncated.
//   - v2.6.1 changed one assignment in _db_tree_add (act_t to act_f, for
//     two less-than or not-equal comparisons of one high word with
//     different actions); the model follows the releases runc and the
//     distributions ship.
//
// Evaluate walks the resulting tree as the BPF that _gen_bpf_chain emits
// would: each level in order, a branch into a deeper level that matches
// nothing falling through to the next node of its level. Table lists the
// tree's paths in that order and turns each into 64-bit argument
// conditions; neighbouring paths with one action are merged and paths
// that cannot change the outcome are dropped, so that Table's rules are
// usually the profile's own. With TableOptions.Decisions it also gives
// each conditional entry its Decision: the same program with the tree's
// shared parts kept shared, which is what the compiler emits where the
// paths are many (rules with many NE or range conditions have
// exponentially many paths, not many more comparisons).
//
// # Bounded work
//
// libseccomp's own work grows exponentially with some rule sets on one
// system call (_db_tree_prune explores a pair of levels once per path to
// it; some trees make its generator emit millions of blocks), and for a
// few it never ends: a level whose links form a cycle, which Table and
// Evaluate report as ErrLibseccompLoop. The model remembers the pruning
// calls that change nothing, so it builds the same tree without that
// exploration, and every step of its work counts against a bound per
// ABI; listing the paths, the Decision and the compiled program are
// bounded too. Past a bound, Table returns ErrTooComplex naming the
// system call and its rules, in seconds at most, rather than running for
// minutes on a small hostile file.
//
// # What is not modelled
//
//   - libseccomp code-generation bugs: when a comparison falls through to
//     a sibling that shares the accumulator's argument word, the emitted
//     BPF may compare the word an earlier, deeper comparison loaded
//     (_gen_bpf_build_bpf restores the accumulator only for the first
//     block that jumps to a shared block); and with x86_64 and x32 in one
//     filter at optimization level 1, the load of the system-call number
//     is lost when the first system call in priority order is a
//     pseudo-syscall. The model gives the meaning libseccomp's rule tree
//     intends; the differential tests detect and skip such filters.
//   - the ENOSYS stub runc's patchbpf prepends (generatePatch); package
//     seccomp compiles the same stub and seccomp.Expect adds it: unless
//     the default action is ALLOW, LOG or TRACE, a number above the
//     largest one the profile names on the ABI (any rule, any action;
//     names an ABI only multiplexes do not count; arm's private calls
//     and the x32 and mips bases included) gets ERRNO(ENOSYS) before the
//     filter proper, as does 0 on s390 and s390x; an ABI where no name
//     has a number above 0 gets no stub; under AUDIT_ARCH_X86_64 bit 30
//     of the number picks x32 or x86_64, and an ABI the filter does not
//     cover has no stub. runc's check that skips the stub when the
//     default errno is ENOSYS compares the errno with SCMP_ACT_ERRNO
//     (ENOSYS) and never holds; the verdicts are the same either way.
//   - the kernel and libseccomp version checks (KILL_PROCESS, LOG and
//     NOTIFY need newer kernels), runc's refusal of NOTIFY as the default
//     action or for write(2), and its architecture list, which lacks
//     m68k, parisc, sh and sheb.
//
// Evaluate reports libseccomp's refusal only for the system call it
// evaluates; Table reports every refusal on its ABI.
//
// # Holes in these semantics
//
// The model states what runc and libseccomp enforce, holes included:
// comparisons of int arguments look at all 64 bits of the register while
// the kernel truncates the argument to its type (socket(0x100000028) is
// socket(AF_VSOCK)); socketcall(2) and ipc(2) get the sub-call's rule
// without its argument conditions, and compare the call with all its
// bits (ipc ignores its version in the high 16); a denial of setuid
// leaves setuid32 to the default. inspect.Lint reports them; package
// harden rewrites a profile so that they are closed, and syscage run
// uses docker-default hardened that way. The argument widths come from
// the kernel's prototypes (arch.ArgBits).
//
// # Validation
//
// Validate reports what runc or libseccomp would refuse: an argument index
// above 5, an unknown operator or action, ERRNO with an errno of 4095 or
// more (libseccomp's sys_chk_seccomp_action accepts errno < MAX_ERRNO),
// data on an action that takes none, a rule without names, both
// architectures and archMap, an unknown filter flag, a malformed
// minKernel, architectures of both byte orders (seccomp_arch_add fails
// with EDOM; Resolve and seccomp.Compile also check the host's native
// ABI, which the filter always holds). It also refuses what runc, LXC
// and libseccomp would read otherwise than Go does: a system-call name
// with a NUL byte ("ptrace\x00x" is ptrace to a C string, and the rule
// would allow ptrace where a Go reader sees an unknown name). Other
// oddities read alike in C and Go: libseccomp compares names exactly
// (seccomp_syscall_resolve_name), so blanks or another case make a name
// unknown to both, and runc skips it as Table does. Profile
// parsers report the same problems located in their input, as
// *SyntaxError; the text formats (LXC, systemd) refuse a NUL byte
// anywhere, and LXC policies a carriage return (LXC strips only the
// newline) and sections with blanks around them.
package profile
