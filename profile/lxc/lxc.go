package lxc

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// A section of a version 2 policy, and the hosts it applies on:
// parse_config_v2 skips the lines of a section unless the host's native
// ABI is one of them. The first section with a given host set is the one
// Format writes.
var sections = []struct {
	name  string
	hosts []arch.Arch
}{
	{"x86_64", []arch.Arch{arch.X86_64}},
	{"x86", []arch.Arch{arch.X86, arch.X86_64}},
	{"x32", []arch.Arch{arch.X86_64}},
	{"arm64", []arch.Arch{arch.AARCH64}},
	{"arm", []arch.Arch{arch.ARM, arch.AARCH64}},
	{"ppc64le", []arch.Arch{arch.PPC64LE}},
	{"ppc64", []arch.Arch{arch.PPC64}},
	{"ppc", []arch.Arch{arch.PPC, arch.PPC64}},
	{"mips64", []arch.Arch{arch.MIPS64}},
	{"mips64n32", []arch.Arch{arch.MIPS64}},
	{"mips", []arch.Arch{arch.MIPS, arch.MIPS64}},
	{"mipsel64", []arch.Arch{arch.MIPSEL64}},
	{"mipsel64n32", []arch.Arch{arch.MIPSEL64}},
	{"mipsel", []arch.Arch{arch.MIPSEL, arch.MIPSEL64}},
	{"s390x", []arch.Arch{arch.S390X}},
	{"s390", []arch.Arch{arch.S390}},
}

// ArchMap is what an LXC policy covers on each host LXC knows
// (get_hostarch and parse_config_v2): the native ABI and, on x86_64,
// aarch64, ppc64 and the 64-bit MIPS hosts, the compat ABIs LXC adds.
// Parse gives every version 2 policy this archMap.
var ArchMap = []profile.ArchMapEntry{
	{Arch: arch.X86_64, Sub: []arch.Arch{arch.X86, arch.X32}},
	{Arch: arch.X86},
	{Arch: arch.AARCH64, Sub: []arch.Arch{arch.ARM}},
	{Arch: arch.ARM},
	{Arch: arch.PPC64LE},
	{Arch: arch.PPC64, Sub: []arch.Arch{arch.PPC}},
	{Arch: arch.PPC},
	{Arch: arch.MIPS64, Sub: []arch.Arch{arch.MIPS, arch.MIPS64N32}},
	{Arch: arch.MIPS},
	{Arch: arch.MIPSEL64, Sub: []arch.Arch{arch.MIPSEL, arch.MIPSEL64N32}},
	{Arch: arch.MIPSEL},
	{Arch: arch.S390X},
	{Arch: arch.S390},
}

func cloneArchMap() []profile.ArchMapEntry {
	out := make([]profile.ArchMapEntry, len(ArchMap))
	for i, e := range ArchMap {
		out[i] = profile.ArchMapEntry{Arch: e.Arch, Sub: slices.Clone(e.Sub)}
	}
	return out
}

// mntForce is MNT_FORCE, which reject_force_umount refuses.
const mntForce = 1

// eacces is the errno of reject_force_umount.
const eacces = 13

type parser struct {
	file string
	line int
}

func (p *parser) errAt(col int, format string, args ...any) error {
	return &profile.SyntaxError{File: p.file, Line: p.line, Col: col, Msg: fmt.Sprintf(format, args...), Err: profile.ErrInvalid}
}

// token is a word of a line and its 1-based column.
type token struct {
	s   string
	col int
}

// Parse reads an LXC seccomp policy (lxc.seccomp.profile). name is used
// in errors, which are *profile.SyntaxError located at the offending
// token.
//
// Version 1 lists the native numbers of allowed system calls; they are
// named with the tables of the ABI this program runs on. Version 2 is
// read as LXC's parse_config_v2 reads it, into a profile with ArchMap:
// an allowlist (or whitelist) denies with kill unless its policy line
// gives another default action, and its rules allow unless they give an
// action; a denylist (or blacklist) allows by default and its rules kill.
// A section [arch] becomes includes.arches of the hosts LXC applies it on
// ([x86] applies on x86 and x86_64 hosts, [x32] on x86_64 ones, [all]
// everywhere). reject_force_umount becomes its rule: umount2 with
// arg1 & MNT_FORCE gets ERRNO(EACCES). Comment lines, and a comment after
// a rule, become the comment of the next rule.
//
// Parse is stricter than LXC, which ignores what it does not understand
// in some places: every token must be valid. Repeated argument indices
// are refused, because libseccomp ANDs them where the model, as runc,
// ORs them.
func Parse(name string, data []byte) (*profile.Profile, error) {
	ps := &parser{file: name}
	if l, c := profile.FindNUL(data); l > 0 {
		ps.line = l
		return nil, ps.errAt(c, "NUL byte: LXC reads each line as a C string, which ends there; remove it")
	}
	if i := bytes.IndexByte(data, '\r'); i >= 0 {
		// LXC strips only the newline: "read\r" is no system call (LXC
		// skips it) and "[x86_64]\r" no section (LXC refuses the policy).
		ps.line = 1 + bytes.Count(data[:i], []byte{'\n'})
		return nil, ps.errAt(i-bytes.LastIndexByte(data[:i], '\n'), "carriage return: LXC keeps it in the line, so names and sections before it would not match; write the file with LF line ends")
	}
	lines := strings.Split(string(data), "\n")
	next := func() (string, bool) {
		for ps.line < len(lines) {
			l := strings.TrimSuffix(lines[ps.line], "\r")
			ps.line++
			return l, true
		}
		return "", false
	}
	vline, ok := next()
	if !ok || strings.TrimSpace(vline) == "" {
		ps.line = 1
		return nil, ps.errAt(1, "missing version line: an LXC seccomp policy begins with 1 or 2")
	}
	version := strings.TrimSpace(vline)
	if version != "1" && version != "2" {
		return nil, ps.errAt(1+strings.Index(vline, version), "unknown policy version %q (want 1 or 2)", version)
	}
	pline, ok := next()
	if !ok {
		return nil, ps.errAt(0, "missing policy line after the version (want allowlist or denylist)")
	}
	toks := fields(pline)
	if len(toks) == 0 {
		return nil, ps.errAt(1, "empty policy line (want allowlist or denylist, and an optional default action)")
	}
	p := &profile.Profile{}
	var ruleAct profile.Action
	switch toks[0].s {
	case "allowlist", "whitelist":
		p.Default, ruleAct = profile.Action{Kind: profile.ActKillThread}, profile.Action{Kind: profile.ActAllow}
	case "denylist", "blacklist":
		if version == "1" {
			return nil, ps.errAt(toks[0].col, "version 1 policies are allowlists only, not %s", toks[0].s)
		}
		p.Default, ruleAct = profile.Action{Kind: profile.ActAllow}, profile.Action{Kind: profile.ActKillThread}
	default:
		return nil, ps.errAt(toks[0].col, "unknown policy %q (want allowlist or denylist; whitelist and blacklist are their old names)", toks[0].s)
	}
	if len(toks) > 1 {
		if toks[1].s == "debug" {
			return nil, ps.errAt(toks[1].col, "debug is not implemented by LXC")
		}
		a, n, err := ps.action(toks[1:])
		if err != nil {
			return nil, err
		}
		if n < len(toks)-1 {
			return nil, ps.errAt(toks[1+n].col, "unexpected %q after the default action", toks[1+n].s)
		}
		p.Default = a
	}
	if version == "1" {
		native, ok := arch.Native()
		if !ok {
			return nil, ps.errAt(0, "version 1 lists native system-call numbers, and this machine's ABI is unknown")
		}
		for {
			l, ok := next()
			if !ok {
				break
			}
			t := strings.TrimSpace(l)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			col := 1 + strings.Index(l, t)
			n, err := strconv.ParseUint(t, 10, 32)
			if err != nil {
				return nil, ps.errAt(col, "%q is not a system-call number (version 1 lists one number a line)", t)
			}
			sc, ok := native.SyscallName(uint32(n))
			if !ok {
				return nil, ps.errAt(col, "%s has no system call %d", native, n)
			}
			p.Rules = append(p.Rules, profile.Rule{Names: []string{sc}, Action: profile.Action{Kind: profile.ActAllow}})
		}
		return finish(ps, p)
	}

	p.ArchMap = cloneArchMap()
	var section []arch.Arch
	var comment []string
	for {
		l, ok := next()
		if !ok {
			break
		}
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "#"):
			comment = append(comment, commentText(t))
			continue
		case strings.HasPrefix(t, "["):
			col := 1 + strings.Index(l, t)
			name := strings.TrimSuffix(strings.TrimPrefix(t, "["), "]")
			if !strings.HasSuffix(t, "]") || name == "" {
				return nil, ps.errAt(col, "malformed section %q (want [arch], such as [x86_64] or [all])", t)
			}
			if t != l {
				// LXC takes a line for a section only when it begins
				// with '[', and compares the whole line.
				return nil, ps.errAt(1, "section %s with blanks around it: LXC compares the whole line, so it would not read it as a section; remove them", t)
			}
			if name == "all" || name == "ALL" {
				section = nil
				continue
			}
			found := false
			for _, s := range sections {
				if name == s.name || name == strings.ToUpper(s.name) {
					section, found = s.hosts, true
					break
				}
			}
			if !found {
				var valid []string
				for _, s := range sections {
					valid = append(valid, s.name)
				}
				return nil, ps.errAt(col+1, "unknown architecture section [%s] (want all, %s)", name, strings.Join(valid, ", "))
			}
			continue
		}
		text, inline := l, ""
		if i := inlineComment(l); i >= 0 {
			text, inline = l[:i], commentText(strings.TrimSpace(l[i:]))
		}
		r, err := ps.rule(text, ruleAct)
		if err != nil {
			return nil, err
		}
		if inline != "" {
			comment = append(comment, inline)
		}
		r.Comment = strings.Join(comment, "\n")
		comment = nil
		if section != nil {
			r.Includes.Arches = slices.Clone(section)
		}
		if r.Action == p.Default {
			return nil, ps.errAt(1+strings.Index(l, strings.TrimSpace(text)), "rule for %s has the default action %s; libseccomp refuses such rules (EACCES) and LXC with it", r.Names[0], lxcAction(r.Action))
		}
		p.Rules = append(p.Rules, r)
	}
	return finish(ps, p)
}

func finish(ps *parser, p *profile.Profile) (*profile.Profile, error) {
	if err := p.Validate(); err != nil {
		return nil, &profile.SyntaxError{File: ps.file, Msg: err.Error(), Err: err}
	}
	return p, nil
}

// commentText strips "#" and one space.
func commentText(t string) string {
	t = strings.TrimPrefix(t, "#")
	return strings.TrimPrefix(t, " ")
}

// inlineComment returns the offset of a "#" that begins a comment after
// a rule, or -1.
func inlineComment(l string) int {
	for i := 1; i < len(l); i++ {
		if l[i] == '#' && (l[i-1] == ' ' || l[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// fields splits a line at blanks, outside brackets.
func fields(l string) []token {
	var out []token
	depth, start := 0, -1
	for i := 0; i <= len(l); i++ {
		blank := i == len(l) || (depth == 0 && (l[i] == ' ' || l[i] == '\t'))
		if i < len(l) {
			switch l[i] {
			case '[':
				depth++
			case ']':
				if depth > 0 {
					depth--
				}
			}
		}
		if blank {
			if start >= 0 {
				out = append(out, token{l[start:i], start + 1})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// action reads an action at the start of toks and returns how many tokens
// it took.
func (p *parser) action(toks []token) (profile.Action, int, error) {
	t := toks[0]
	switch t.s {
	case "kill":
		return profile.Action{Kind: profile.ActKillThread}, 1, nil
	case "allow":
		return profile.Action{Kind: profile.ActAllow}, 1, nil
	case "trap":
		return profile.Action{Kind: profile.ActTrap}, 1, nil
	case "notify":
		return profile.Action{Kind: profile.ActUserNotif}, 1, nil
	case "log":
		return profile.Action{Kind: profile.ActLog}, 1, nil
	case "errno":
		if len(toks) < 2 {
			return profile.Action{}, 0, p.errAt(t.col+len(t.s), "errno needs a number, such as errno 1")
		}
		n, err := strconv.ParseUint(toks[1].s, 10, 16)
		if err != nil || n >= profile.MaxErrno {
			return profile.Action{}, 0, p.errAt(toks[1].col, "errno %q must be a number 0..%d", toks[1].s, profile.MaxErrno-1)
		}
		return profile.Action{Kind: profile.ActErrno, Data: uint16(n)}, 2, nil
	}
	return profile.Action{}, 0, p.errAt(t.col, "unknown action %q (want kill, errno N, allow, trap, notify or log)", t.s)
}

func (p *parser) rule(l string, def profile.Action) (profile.Rule, error) {
	toks := fields(l)
	r := profile.Rule{Names: []string{toks[0].s}, Action: def}
	if strings.ContainsAny(toks[0].s, "[]") {
		return r, p.errAt(toks[0].col, "%q is not a system-call name", toks[0].s)
	}
	rest := toks[1:]
	if toks[0].s == "reject_force_umount" {
		if len(rest) > 0 {
			return r, p.errAt(rest[0].col, "reject_force_umount takes nothing after it, got %q", rest[0].s)
		}
		return profile.Rule{
			Names:  []string{"umount2"},
			Action: profile.Action{Kind: profile.ActErrno, Data: eacces},
			Conds:  []profile.Cond{{Arg: 1, Op: profile.OpMaskedEQ, Value: mntForce, ValueTwo: mntForce}},
		}, nil
	}
	if len(rest) > 0 && !strings.HasPrefix(rest[0].s, "[") {
		a, n, err := p.action(rest)
		if err != nil {
			return r, err
		}
		r.Action, rest = a, rest[n:]
	} else if len(rest) > 0 {
		return r, p.errAt(rest[0].col, "argument conditions need an action before them (LXC refuses them otherwise), such as %s errno 1 %s", toks[0].s, rest[0].s)
	}
	seen := map[uint8]bool{}
	for _, t := range rest {
		c, err := p.cond(t)
		if err != nil {
			return r, err
		}
		if seen[c.Arg] {
			return r, p.errAt(t.col, "argument %d is compared twice; libseccomp ANDs such comparisons and runc ORs them, so write one rule per comparison", c.Arg)
		}
		seen[c.Arg] = true
		r.Conds = append(r.Conds, c)
	}
	if len(r.Conds) > 6 {
		return r, p.errAt(rest[6].col, "more than 6 argument conditions")
	}
	return r, nil
}

// cond reads [index,value,op] or [index,value,op,mask].
func (p *parser) cond(t token) (profile.Cond, error) {
	if !strings.HasPrefix(t.s, "[") || !strings.HasSuffix(t.s, "]") {
		return profile.Cond{}, p.errAt(t.col, "%q is not an argument condition (want [index,value,op] or [index,value,op,mask])", t.s)
	}
	inner := t.s[1 : len(t.s)-1]
	parts := strings.Split(inner, ",")
	if len(parts) != 3 && len(parts) != 4 {
		return profile.Cond{}, p.errAt(t.col, "argument condition %s has %d fields (want [index,value,op] or [index,value,op,mask])", t.s, len(parts))
	}
	col := t.col + 1
	cols := make([]int, len(parts))
	for i, s := range parts {
		cols[i] = col + (len(s) - len(strings.TrimLeft(s, " \t")))
		parts[i] = strings.TrimSpace(s)
		col += len(s) + 1
	}
	idx, err := strconv.ParseUint(parts[0], 0, 8)
	if err != nil || idx > profile.MaxArg {
		return profile.Cond{}, p.errAt(cols[0], "argument index %q must be 0..%d", parts[0], profile.MaxArg)
	}
	v, err := strconv.ParseUint(parts[1], 0, 64)
	if err != nil {
		return profile.Cond{}, p.errAt(cols[1], "argument value %q must be a number 0..18446744073709551615 (decimal, 0x hex or 0 octal)", parts[1])
	}
	op, ok := ops[parts[2]]
	if !ok {
		return profile.Cond{}, p.errAt(cols[2], "unknown operator %q (want SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ or !=, <, <=, ==, >=, >, &=)", parts[2])
	}
	c := profile.Cond{Arg: uint8(idx), Op: op, Value: v}
	if len(parts) == 4 {
		if op != profile.OpMaskedEQ {
			return profile.Cond{}, p.errAt(cols[3], "a mask goes only with SCMP_CMP_MASKED_EQ (LXC ignores it with %s)", parts[2])
		}
		m, err := strconv.ParseUint(parts[3], 0, 64)
		if err != nil {
			return profile.Cond{}, p.errAt(cols[3], "mask %q must be a number 0..18446744073709551615", parts[3])
		}
		// LXC passes SCMP_CMP(index, SCMP_CMP_MASKED_EQ, mask, value):
		// the mask is the first datum (OCI's "value").
		c.Value, c.ValueTwo = m, v
	} else if op == profile.OpMaskedEQ {
		// LXC's mask defaults to 0: no condition at all.
		c.Value, c.ValueTwo = 0, v
	}
	return c, nil
}

var ops = map[string]profile.Op{
	"SCMP_CMP_NE": profile.OpNE, "!=": profile.OpNE,
	"SCMP_CMP_LT": profile.OpLT, "<": profile.OpLT,
	"SCMP_CMP_LE": profile.OpLE, "<=": profile.OpLE,
	"SCMP_CMP_EQ": profile.OpEQ, "==": profile.OpEQ,
	"SCMP_CMP_GE": profile.OpGE, ">=": profile.OpGE,
	"SCMP_CMP_GT": profile.OpGT, ">": profile.OpGT,
	"SCMP_CMP_MASKED_EQ": profile.OpMaskedEQ, "&=": profile.OpMaskedEQ,
}

// lxcAction spells a as LXC does; ok is false for actions LXC lacks.
func lxcAction(a profile.Action) string {
	switch a.Kind {
	case profile.ActKillThread:
		return "kill"
	case profile.ActAllow:
		return "allow"
	case profile.ActTrap:
		return "trap"
	case profile.ActUserNotif:
		return "notify"
	case profile.ActLog:
		return "log"
	case profile.ActErrno:
		return fmt.Sprintf("errno %d", a.Data)
	}
	return ""
}

// nearest returns the action LXC has that is closest to a and never more
// permissive: KILL_PROCESS becomes kill (the call never runs either way),
// TRACE becomes errno ENOSYS (what the kernel returns without a tracer).
func nearest(a profile.Action) profile.Action {
	switch a.Kind {
	case profile.ActKillProcess:
		return profile.Action{Kind: profile.ActKillThread}
	case profile.ActTrace:
		return profile.Action{Kind: profile.ActErrno, Data: 38}
	}
	return a
}

// apart returns an action LXC has that stops a call, as def does, and is
// not def: trap for kill, errno EPERM for an errno other than EPERM, and
// errno EACCES for errno EPERM.
func apart(def profile.Action) profile.Action {
	switch {
	case def.Kind == profile.ActKillThread:
		return profile.Action{Kind: profile.ActTrap}
	case def.Kind == profile.ActErrno && def.Data == profile.EPERM:
		return profile.Action{Kind: profile.ActErrno, Data: eacces}
	}
	return profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
}

// Options control Format.
type Options struct {
	// Lossy writes the nearest policy that is never more permissive when
	// the profile has parts LXC cannot express, instead of failing. The
	// losses are returned either way.
	Lossy bool
}

// Format writes p as an LXC version 2 policy: an allowlist when the
// default action is not allow, a denylist otherwise, with the default
// action on the policy line and an explicit action on every rule, one
// rule per system call, argument conditions as [index,value,op] and
// [index,mask... ] as Parse reads them, rules with includes.arches in the
// section LXC applies on exactly those hosts, comments as comment lines.
//
// It lists what LXC cannot express: actions it lacks (KILL_PROCESS,
// TRACE), capability, kernel and excludes conditions, host sets no
// section has, flags and a listener, and ABIs other than those LXC covers
// on the host (see ArchMap). A profile with Arches is taken for the first
// host among them whose LXC coverage equals them. Unless o.Lossy, any loss
// is a *profile.LossError and nothing is written; with o.Lossy the
// nearest form is written (unsupported actions as the nearest stricter
// one, a conditional rule kept unconditionally when it is stricter than
// the default and dropped otherwise), except when LXC would cover more
// ABIs than the profile: that is always an error.
func Format(p *profile.Profile, o Options) ([]byte, []profile.Loss, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("format lxc: %w", err)
	}
	var losses []profile.Loss
	fatal := false
	loss := func(rule int, format string, args ...any) {
		what := fmt.Sprintf(format, args...)
		if rule > 0 {
			// Name the calls, not only the rule.
			what = strings.Join(p.Rules[rule-1].Names, " ") + ": " + what
		}
		losses = append(losses, profile.Loss{Rule: rule, What: what})
	}
	if msg := archLoss(p); msg != "" {
		loss(0, "%s", msg)
		fatal = true
	}
	if len(p.Flags) > 0 {
		loss(0, "LXC policies set no filter flags (%s); dropped", strings.Join(p.Flags, ", "))
	}
	if p.ListenerPath != "" || p.ListenerMetadata != "" {
		loss(0, "the notification listener is set in the container's config (lxc.seccomp.notify.proxy), not the policy; dropped")
	}
	def := p.Default
	if lxcAction(def) == "" {
		def = nearest(def)
		loss(0, "LXC has no %s action; default written as %s", p.Default, lxcAction(def))
	}
	var b bytes.Buffer
	b.WriteString("2\n")
	if def.Kind == profile.ActAllow {
		b.WriteString("denylist\n")
	} else {
		fmt.Fprintf(&b, "allowlist %s\n", lxcAction(def))
	}
	cur := "all"
	for i, r := range p.Rules {
		n := i + 1
		act := r.Action
		if lxcAction(act) == "" {
			act = nearest(act)
			loss(n, "LXC has no %s action; written as %s", r.Action, lxcAction(act))
		}
		if act == def {
			if r.Action == p.Default {
				continue // runc skips it, and libseccomp refuses it under LXC
			}
			// Written as the default, which LXC skips, the rule would
			// leave the calls it stops to overlapping rules (an allow):
			// keep it apart with another action that stops them.
			act = apart(def)
			loss(n, "its nearest LXC action is the written default's, which LXC skips; written as %s", lxcAction(act))
		}
		sec := "all"
		conditional := !r.Includes.IsZero() || !r.Excludes.IsZero()
		if len(r.Includes.Arches) > 0 && r.Includes.Caps == nil && r.Includes.MinKernel == "" && r.Excludes.IsZero() {
			if s, ok := sectionFor(r.Includes.Arches); ok {
				sec, conditional = s, false
			}
		}
		if conditional {
			if profile.Stricter(act, def) == act {
				loss(n, "LXC has no includes or excludes (%s); written unconditionally, being stricter than the default", describeFilters(r))
			} else {
				loss(n, "LXC has no includes or excludes (%s); dropped, being more permissive than the default", describeFilters(r))
				continue
			}
		}
		if sec != cur {
			fmt.Fprintf(&b, "[%s]\n", sec)
			cur = sec
		}
		if r.Comment != "" {
			for _, c := range strings.Split(r.Comment, "\n") {
				if c == "" {
					b.WriteString("#\n")
				} else {
					fmt.Fprintf(&b, "# %s\n", c)
				}
			}
		}
		for _, group := range profile.Conjunctions(r.Conds) {
			for _, name := range r.Names {
				fmt.Fprintf(&b, "%s %s", name, lxcAction(act))
				for _, c := range group {
					b.WriteByte(' ')
					b.WriteString(formatCond(c))
				}
				b.WriteByte('\n')
			}
		}
	}
	if len(losses) > 0 && (!o.Lossy || fatal) {
		return nil, losses, &profile.LossError{Format: "lxc", Losses: losses}
	}
	return b.Bytes(), losses, nil
}

func formatCond(c profile.Cond) string {
	if c.Op == profile.OpMaskedEQ {
		return fmt.Sprintf("[%d,%d,%s,%d]", c.Arg, c.ValueTwo, c.Op.SCMP(), c.Value)
	}
	return fmt.Sprintf("[%d,%d,%s]", c.Arg, c.Value, c.Op.SCMP())
}

func sectionFor(hosts []arch.Arch) (string, bool) {
	want := sortedArches(hosts)
	for _, s := range sections {
		if slices.Equal(sortedArches(s.hosts), want) {
			return s.name, true
		}
	}
	return "", false
}

func sortedArches(as []arch.Arch) []arch.Arch {
	s := slices.Clone(as)
	slices.Sort(s)
	return slices.Compact(s)
}

func describeFilters(r profile.Rule) string {
	var parts []string
	add := func(what string, f profile.Filter) {
		if len(f.Caps) > 0 {
			parts = append(parts, fmt.Sprintf("%s.caps %s", what, strings.Join(f.Caps, ",")))
		}
		if len(f.Arches) > 0 {
			var as []string
			for _, a := range f.Arches {
				as = append(as, a.String())
			}
			parts = append(parts, fmt.Sprintf("%s.arches %s", what, strings.Join(as, ",")))
		}
		if f.MinKernel != "" {
			parts = append(parts, fmt.Sprintf("%s.minKernel %s", what, f.MinKernel))
		}
	}
	add("includes", r.Includes)
	add("excludes", r.Excludes)
	return strings.Join(parts, "; ")
}

// coverage returns the ABIs a filter covers on host under an archMap, as
// profile.Resolve gives them, sorted.
func coverage(m []profile.ArchMapEntry, host arch.Arch) []arch.Arch {
	for _, e := range m {
		if e.Arch == host {
			return sortedArches(append([]arch.Arch{host}, e.Sub...))
		}
	}
	return []arch.Arch{host}
}

// archLoss says how the ABIs p covers differ from what LXC covers, or "".
func archLoss(p *profile.Profile) string {
	switch {
	case len(p.ArchMap) > 0:
		for _, e := range ArchMap {
			if got, want := coverage(p.ArchMap, e.Arch), coverage(ArchMap, e.Arch); !slices.Equal(got, want) {
				return fmt.Sprintf("on a %s host the profile covers %s, LXC covers %s", e.Arch, arch.Join(got, "+"), arch.Join(want, "+"))
			}
		}
		return ""
	case len(p.Arches) > 0:
		have := sortedArches(p.Arches)
		// The policy is read on any host: on every host where it applies
		// to one of the profile's ABIs, LXC must cover nothing the
		// profile (the host's native ABI and its Arches) does not.
		for _, e := range ArchMap {
			cov := coverage(ArchMap, e.Arch)
			if !slices.ContainsFunc(cov, func(a arch.Arch) bool { return slices.Contains(have, a) }) {
				continue
			}
			for _, a := range cov {
				if a != e.Arch && !slices.Contains(have, a) {
					return fmt.Sprintf("on a %s host LXC covers %s, the profile %s: the policy would let %s calls run that the profile kills", e.Arch, arch.Join(cov, "+"), arch.Join(sortedArches(append([]arch.Arch{e.Arch}, have...)), "+"), a)
				}
			}
		}
		for _, h := range p.Arches {
			if lxcHost(h) && slices.Equal(coverage(ArchMap, h), have) {
				return ""
			}
		}
		return fmt.Sprintf("the profile covers %s; LXC covers a host's native ABI with its compat ABIs (x86_64 with x86 and x32, aarch64 with arm, ppc64 with ppc, mips64 with mips and mips64n32), which no host among them gives", arch.Join(have, "+"))
	}
	return "the profile covers the native ABI only; LXC also covers its compat ABIs (x86 and x32 on x86_64, arm on aarch64, ppc on ppc64, mips and mips64n32 on mips64): give the profile those architectures"
}

func lxcHost(h arch.Arch) bool {
	for _, e := range ArchMap {
		if e.Arch == h {
			return true
		}
	}
	return false
}

// Widen returns p with its architectures widened to what an LXC policy
// covers on the host p is for (its first architecture, or host when it
// names none: x86_64 with x86 and x32, ...), when p covers part of that:
// LXC applies a policy to all of them, so the names p allows are then
// allowed on the others too. It returns the ABIs added (none: p itself).
func Widen(p *profile.Profile, host arch.Arch) (*profile.Profile, []arch.Arch) {
	have := p.Arches
	if len(have) == 0 {
		have = []arch.Arch{host}
	}
	for _, m := range ArchMap {
		if m.Arch != have[0] {
			continue
		}
		all := append([]arch.Arch{m.Arch}, m.Sub...)
		for _, a := range have {
			if !slices.Contains(all, a) {
				return p, nil
			}
		}
		var extra []arch.Arch
		for _, a := range all {
			if !slices.Contains(have, a) {
				extra = append(extra, a)
			}
		}
		if len(extra) == 0 {
			return p, nil
		}
		q := p.Clone()
		q.Arches = all
		return q, extra
	}
	return p, nil
}
