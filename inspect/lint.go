package inspect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

// Severity ranks a lint finding.
type Severity int

const (
	Low Severity = iota + 1
	Medium
	High
)

func (s Severity) String() string {
	switch s {
	case High:
		return "high"
	case Medium:
		return "medium"
	case Low:
		return "low"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Finding is one problem Lint found.
type Finding struct {
	Severity Severity
	Check    string   // the check's name, such as "default-allow"
	Message  string   // what is wrong
	Fix      string   // what to do about it
	Rule     int      // index of the profile rule concerned, or -1
	Names    []string // system calls concerned
}

// dangerous are system calls a confined program should not have, and why.
var dangerous = []struct{ names, why string }{
	{"ptrace", "reads and writes other processes' memory and registers, and bypasses seccomp on kernels before 4.8"},
	{"process_vm_readv process_vm_writev", "reads or writes other processes' memory"},
	{"bpf", "loads eBPF programs into the kernel, a large attack surface"},
	{"kexec_load kexec_file_load", "replaces the running kernel"},
	{"init_module finit_module delete_module create_module", "loads or unloads kernel modules"},
	{"mount umount umount2 fsopen fsconfig fsmount fspick move_mount open_tree mount_setattr pivot_root", "changes the mount table, a way out of a container's filesystem view"},
	{"userfaultfd", "stalls kernel accesses to user memory at will, the classic way to widen kernel race windows in exploits"},
	{"perf_event_open", "is a large attack surface and a side channel into other processes"},
	{"keyctl add_key request_key", "reaches the kernel keyring, which is not namespaced"},
	{"io_uring_setup io_uring_enter io_uring_register", "gives access to io_uring, whose reads, writes, opens and connects seccomp never sees: a filter bypass"},
	{"open_by_handle_at", "opens files by handle, outside the mount namespace (the 'shocker' container escape)"},
	{"setns unshare", "enters or creates namespaces"},
	{"reboot", "reboots the machine (or ends the PID namespace)"},
	{"swapon swapoff acct quotactl quotactl_fd", "changes system-wide state"},
	{"iopl ioperm", "gives direct hardware port access"},
	{"syslog", "reads the kernel log: kernel addresses and other processes' messages"},
	{"uselib lookup_dcookie nfsservctl vm86 vm86old", "is an obsolete interface with a history of vulnerabilities"},
}

// enosysNeeded are system calls that glibc (and systemd, runc) try first
// and fall back from only on ENOSYS: any other errno is taken as the
// call's own answer.
var enosysNeeded = []struct{ name, fallback string }{
	{"clone3", "clone (pthread_create, posix_spawn, fork since glibc 2.34)"},
	{"faccessat2", "faccessat (glibc 2.33)"},
	{"fchmodat2", "fchmodat with /proc/self/fd (glibc 2.39)"},
	{"openat2", "openat (systemd, runc)"},
	{"statx", "fstatat (glibc 2.33 stat on 32-bit ABIs)"},
	{"close_range", "closing descriptors one by one (closefrom)"},
}

// LintOptions control Lint.
type LintOptions struct {
	// Origins maps the index of a rule of the profile given to Lint to
	// the index of the rule in the file it came from (profile.Resolve
	// drops rules), for the rule numbers of findings; -1 for none. Nil
	// numbers the rules as given.
	Origins []int
}

// origin returns the file's index of rule i.
func (o LintOptions) origin(i int) int {
	if i >= 0 && i < len(o.Origins) {
		return o.Origins[i]
	}
	return i
}

// Lint looks for problems in p, resolved for a kernel whose native ABI is
// host: a default that allows, dangerous system calls allowed, EPERM where
// programs need ENOSYS to fall back, names no covered ABI has, compat ABIs
// the profile does not cover, comparisons of int arguments that look at
// bits the kernel ignores, sub-calls that socketcall and ipc let through,
// calls denied under one name and allowed under their 32-bit twin, rules
// that change nothing, and memory that can be made writable and
// executable. Findings come in the order of the
// checks, most severe check first.
func Lint(p *profile.Profile, host arch.Arch, o LintOptions) ([]Finding, error) {
	arches := append([]arch.Arch{host}, p.Arches...)
	slices.Sort(arches)
	arches = slices.Compact(arches)
	t, err := p.Table(host, profile.TableOptions{})
	if err != nil {
		return nil, err
	}
	var out []Finding
	allow := profile.Action.Permits
	// decide says how name is decided on host: always allowed, allowed
	// under conditions, or not, and by which rules.
	decide := func(name string) (always, some bool, rules []int) {
		nr, ok := host.SyscallNumber(name)
		if !ok {
			return false, false, nil
		}
		for i, r := range p.Rules {
			if slices.Contains(r.Names, name) {
				rules = append(rules, i)
			}
		}
		e, ok := t.Lookup(nr)
		switch {
		case !ok:
			return allow(t.Default), allow(t.Default), rules
		case len(e.Rules) == 0:
			return allow(e.Action), allow(e.Action), rules
		}
		some = allow(e.Fallback)
		for _, r := range e.Rules {
			some = some || allow(r.Action)
		}
		return allow(e.Fallback) && !slices.ContainsFunc(e.Rules, func(r profile.CondRule) bool { return !allow(r.Action) }), some, rules
	}

	// Default allow.
	if allow(p.Default) {
		var open []string
		for _, d := range dangerous {
			for _, n := range strings.Fields(d.names) {
				if always, _, _ := decide(n); always {
					open = append(open, n)
				}
			}
		}
		msg := fmt.Sprintf("the default action is %s: every system call no rule names is allowed, including those newer than the profile", p.Default.Kind.SCMP())
		if len(open) > 0 {
			msg += fmt.Sprintf("; dangerous ones left open: %s", strings.Join(open, ", "))
		}
		out = append(out, Finding{Severity: High, Check: "default-allow", Message: msg, Rule: -1, Names: open,
			Fix: `make the default "SCMP_ACT_ERRNO" and allow what the program needs ('syscage record' finds it)`})
	}

	// Dangerous system calls allowed by a rule.
	for _, d := range dangerous {
		for _, n := range strings.Fields(d.names) {
			always, some, rules := decide(n)
			if !some || len(rules) == 0 {
				continue // not allowed, or allowed only by the default (reported above)
			}
			sev, how := High, "allowed"
			if !always {
				sev, how = Medium, "allowed for some arguments"
			}
			out = append(out, Finding{Severity: sev, Check: "dangerous-syscall", Rule: o.origin(rules[0]), Names: []string{n},
				Message: fmt.Sprintf("%s is %s (%s): it %s", n, how, ruleList(o, rules), d.why),
				Fix:     fmt.Sprintf("remove %s from the rule, or allow it only with the arguments the program uses", n)})
		}
	}

	// EPERM where ENOSYS is needed.
	for _, e := range enosysNeeded {
		nr, ok := host.SyscallNumber(e.name)
		if !ok {
			continue
		}
		act, err := seccomp.Expect(p, host, seccomp.Options{}, seccomp.DataFor(host, nr))
		if err != nil {
			return nil, err
		}
		if act.Kind == profile.ActErrno && act.Data != seccomp.ENOSYS {
			_, _, rules := decide(e.name)
			rule := -1
			if len(rules) > 0 {
				rule = o.origin(rules[0])
			}
			out = append(out, Finding{Severity: Medium, Check: "errno-not-enosys", Rule: rule, Names: []string{e.name},
				Message: fmt.Sprintf("%s gets ERRNO(%d): glibc falls back to %s only on ENOSYS, so the program fails instead", e.name, act.Data, e.fallback),
				Fix:     fmt.Sprintf(`add {"names": ["%s"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}, or allow it`, e.name)})
		}
	}

	// Names that no covered ABI has.
	known := map[string]bool{}
	for _, a := range arches {
		for _, s := range a.Syscalls() {
			known[s.Name] = true
		}
	}
	for i, r := range p.Rules {
		var unknown []string
		for _, n := range r.Names {
			if !known[n] && !isMultiplexed(arches, n) {
				unknown = append(unknown, n)
			}
		}
		if len(unknown) > 0 {
			out = append(out, Finding{Severity: Low, Check: "unknown-name", Rule: o.origin(i), Names: unknown,
				Message: fmt.Sprintf("rule %d names %s, which no covered architecture (%s) has: runc skips %s", o.origin(i)+1, strings.Join(unknown, ", "), arch.Join(arches, ", "), them(len(unknown))),
				Fix:     "check the spelling (syscage resolve --grep NAME), or add the architecture that has it"})
		}
	}

	// Compat ABIs not covered.
	for _, c := range host.Compat() {
		if !slices.Contains(arches, c) {
			out = append(out, Finding{Severity: Low, Check: "compat-not-covered", Rule: -1,
				Message: fmt.Sprintf("the profile does not cover %s, which %s kernels run: every %s system call gets %s, so such programs die at their first call", c, host, c, profile.DefaultBadArch),
				Fix:     fmt.Sprintf(`add "%s" to "architectures" (Docker: an archMap entry for %s) if such programs must run`, c.SCMP(), host.SCMP())})
		}
	}

	// Holes the kernel's argument handling leaves: truncated int
	// arguments, the multiplexers, the 32-bit twins.
	out = append(out, lintIntArgs(p, host, o)...)
	mux, err := lintMultiplexers(p, host, arches)
	if err != nil {
		return nil, err
	}
	out = append(out, mux...)
	twins, err := lintTwins(p, host, arches)
	if err != nil {
		return nil, err
	}
	out = append(out, twins...)

	// Rules that change nothing.
	out = append(out, shadowed(p, host, t, o)...)

	// W^X.
	for _, name := range []string{"mprotect", "mmap", "pkey_mprotect"} {
		nr, ok := host.SyscallNumber(name)
		if !ok {
			continue
		}
		const protWX = 0x2 | 0x4 // PROT_WRITE|PROT_EXEC
		act, err := seccomp.Expect(p, host, seccomp.Options{}, seccomp.DataFor(host, nr, 0, 4096, protWX))
		if err != nil {
			return nil, err
		}
		if allow(act) {
			out = append(out, Finding{Severity: Low, Check: "write-execute", Rule: -1, Names: []string{name},
				Message: fmt.Sprintf("%s with PROT_WRITE|PROT_EXEC is allowed: memory can be writable and executable at once (no W^X)", name),
				// runc and libseccomp let an unconditional rule win over
				// conditional ones, so W^X needs conditional allows and
				// a denying default, not a deny rule.
				Fix: fmt.Sprintf(`unless the program JIT-compiles, allow %s only without both bits: three rules {"names": ["%s"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 6, "valueTwo": V, "op": "SCMP_CMP_MASKED_EQ"}]} for V = 0, 2 and 4, and no unconditional rule for it`, name, name)})
		}
	}
	return out, nil
}

// maxShadowRules bounds the flat rules of a system call that shadowed
// checks rule by rule.
const maxShadowRules = 64

// shadowed finds rules, and names in rules, that change nothing on host:
// the table is the same without them. System calls whose rules flatten to
// more than maxShadowRules are not checked.
func shadowed(p *profile.Profile, host arch.Arch, t *profile.Table, o LintOptions) []Finding {
	count := map[string]int{}
	for _, r := range p.Rules {
		for _, n := range r.Names {
			count[n]++
		}
	}
	var out []Finding
	for i, r := range p.Rules {
		if r.Action == p.Default {
			out = append(out, Finding{Severity: Low, Check: "no-effect", Rule: o.origin(i), Names: r.Names,
				Message: fmt.Sprintf("rule %d has the default action %s: runc skips it", o.origin(i)+1, r.Action),
				Fix:     "remove the rule"})
			continue
		}
		var dead []string
		for j, n := range r.Names {
			nr, ok := host.SyscallNumber(n)
			if !ok || count[n] < 2 {
				continue
			}
			if e, ok := t.Lookup(nr); ok && len(e.Rules) > maxShadowRules {
				// Rebuilding the table without the rule costs as much
				// as the rules it flattens to, for each rule: a profile
				// that makes many would keep lint busy for minutes.
				continue
			}
			q := p.Clone()
			q.Rules[i].Names = slices.Delete(slices.Clone(r.Names), j, j+1)
			if len(q.Rules[i].Names) == 0 {
				q.Rules = slices.Delete(q.Rules, i, i+1)
			}
			qt, err := q.Table(host, profile.TableOptions{})
			if err != nil {
				continue
			}
			a, aok := t.Lookup(nr)
			b, bok := qt.Lookup(nr)
			if aok == bok && (!aok || sameEntry(a, b)) {
				dead = append(dead, n)
			}
		}
		if len(dead) > 0 {
			what := fmt.Sprintf("for %s", strings.Join(dead, ", "))
			if len(dead) == len(r.Names) {
				what = "at all"
			}
			out = append(out, Finding{Severity: Low, Check: "shadowed", Rule: o.origin(i), Names: dead,
				Message: fmt.Sprintf("rule %d (%s) changes nothing %s on %s: other rules decide %s first", o.origin(i)+1, r.Action, what, host, them(len(dead))),
				Fix:     "remove the names from the rule, or merge the rules"})
		}
	}
	return out
}

// sameEntry compares two table entries, ignoring which rule each
// conditional rule came from.
func sameEntry(a, b profile.Entry) bool {
	if a.Action != b.Action || a.Fallback != b.Fallback || len(a.Rules) != len(b.Rules) {
		return false
	}
	for i := range a.Rules {
		if a.Rules[i].Action != b.Rules[i].Action || !slices.Equal(a.Rules[i].Conds, b.Rules[i].Conds) {
			return false
		}
	}
	return true
}

func isMultiplexed(as []arch.Arch, name string) bool {
	for _, a := range as {
		if _, ok := a.Multiplexed(name); ok {
			return true
		}
	}
	return false
}

func ruleList(o LintOptions, rules []int) string {
	s := make([]string, len(rules))
	for i, r := range rules {
		s[i] = fmt.Sprint(o.origin(r) + 1)
	}
	if len(s) == 1 {
		return "rule " + s[0]
	}
	return "rules " + strings.Join(s, ", ")
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// LintStack looks for ways around a compiled filter stack on a kernel
// whose native ABI is host: system calls the stack denies on host (with
// zero arguments) that it allows, under the same name, through a compat
// ABI the kernel also runs (x86 and x32 on x86_64, arm on aarch64). A
// filter that tests the number without testing seccomp_data.arch (and,
// on x86_64, the x32 bit) has them.
func LintStack(s Stack, host arch.Arch) ([]Finding, error) {
	allows := func(ret uint32) bool { return seccomp.ActionOf(ret).Permits() }
	var out []Finding
	for _, c := range host.Compat() {
		var open []string
		for _, sc := range host.Syscalls() {
			vh, err := s.Eval(host.ByteOrder(), seccomp.DataFor(host, sc.Nr))
			if err != nil {
				return nil, err
			}
			if allows(vh) {
				continue
			}
			nc, ok := c.SyscallNumber(sc.Name)
			if !ok {
				continue
			}
			vc, err := s.Eval(c.ByteOrder(), seccomp.DataFor(c, nc))
			if err != nil {
				return nil, err
			}
			if allows(vc) {
				open = append(open, sc.Name)
			}
		}
		if len(open) > 0 {
			out = append(out, Finding{Severity: High, Check: "compat-bypass", Rule: -1, Names: open,
				Message: fmt.Sprintf("%d system call%s the filter denies on %s %s allowed through %s: %s", len(open), plural(len(open)), host, isAre(len(open)), c, strings.Join(open, ", ")),
				Fix:     fmt.Sprintf("test seccomp_data.arch before the number and kill ABIs the filter does not handle%s, or compile the filter from a profile ('syscage compile')", x32Note(host, c))})
		}
	}
	return out, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func x32Note(host, c arch.Arch) string {
	if host == arch.X86_64 && c == arch.X32 {
		return " (on x86_64 also numbers with the x32 bit, 0x40000000, which share x86_64's arch value)"
	}
	return ""
}
