// Package lxc reads and writes LXC seccomp policies (the file
// lxc.seccomp.profile names), versions 1 and 2.
//
// Parse reads a policy as LXC's src/lxc/seccomp.c does and locates every
// error (*profile.SyntaxError, "file:line:col: message"). Format writes a
// version 2 policy; Format(Parse(x)) is stable and Parse(Format(p))
// equals p for the profiles Parse returns. What LXC cannot express is
// listed as losses (see Format).
//
// # What a section means
//
// LXC's parse_config_v2 adds every rule it reads to the native filter
// and to each compat filter it made for the host (x86 and x32 on x86_64,
// arm on aarch64, ...); a section [arch] only decides whether the lines
// under it are read at all on this host. That is exactly Docker's
// includes.arches, a condition on the host's native ABI, which is how
// Parse keeps a section: [x86] reads as includes.arches x86, x86_64;
// [x32] and [x86_64] as x86_64; [arm] as arm, aarch64.
//
// On hosts LXC does not know (riscv64, loongarch64, ...) LXC reads no
// rule outside [all]; the profile Parse returns has no archMap entry for
// them and applies the rules before the first section there too.
package lxc
