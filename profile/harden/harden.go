package harden

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// ErrWidth reports a comparison of an argument that the kernel truncates
// to different widths on the ABIs the profile covers (setuid's id is 16
// bits on x86, 32 on x86_64), which no single comparison decides on both
// as their kernels do.
var ErrWidth = errors.New("argument truncated to different widths on the covered ABIs")

// ErrOverlap reports rules for one system call whose argument conditions
// can both hold while their actions differ: their precedence follows
// libseccomp's rule tree, which orders comparisons by operator, so
// rewriting their comparisons could change which one wins.
var ErrOverlap = errors.New("overlapping rules with different actions")

// MaxRules bounds the rules one profile rule may become, so that a small
// hostile profile cannot make hardening (or the filter) blow up.
const MaxRules = 1024

// Change is one rewrite Profile made.
type Change struct {
	Check   string   // "int-high-bits", "multiplexer", "twin" or "terminal-ioctl", as Lint names them
	Rule    int      // index of the input rule concerned, or -1
	Names   []string // system calls concerned
	Message string
}

func (c Change) String() string { return c.Check + ": " + c.Message }

// Terminal ioctls that inject input or reach the console: TIOCSTI pushes
// bytes into a terminal's input queue (a confined program types commands
// into the shell that started it, CVE-2017-5226), TIOCLINUX does the same
// through the console's selection (TIOCL_PASTESEL), and TIOCCONS
// redirects the console's output to the program's terminal (what the
// kernel and other programs write to /dev/console is then read, and can
// be hidden, by the confined program).
const (
	TIOCSTI   = 0x5412
	TIOCLINUX = 0x541c
	TIOCCONS  = 0x541d
	// mips numbers them otherwise (arch/mips/include/uapi/asm/ioctls.h);
	// its TIOCCONS is _IOW('t', 120, int), with mips' direction bits.
	mipsTIOCSTI   = 0x5472
	mipsTIOCLINUX = 0x5483
	mipsTIOCCONS  = 0x80047478
)

// Profile returns p hardened for a kernel whose native ABI is host, with
// the list of what changed. p must be resolved (see profile.Resolve) and
// is not modified. The hardened profile is an ordinary profile that every
// format with argument conditions can hold (only MASKED_EQ comparisons
// are added) and that runc and libseccomp enforce as syscage does:
//
//   - int arguments: the kernel casts an int (unsigned int, pid_t, umode_t,
//     ...) argument to its type, dropping the high bits of the register,
//     while a filter compares all 64. Each comparison of such an argument
//     becomes MASKED_EQ comparisons of the bits the kernel uses (several
//     rules, one per cube, for NE, LT, LE, GT and GE), so the filter
//     decides on exactly the value the system call sees.
//   - socketcall and ipc: libseccomp allows the multiplexer for a
//     sub-call when any rule allows the sub-call, ignoring the sub-call's
//     argument conditions, which it cannot see (they are behind a
//     pointer); an unconditional rule for the multiplexer allows every
//     sub-call; ipc ignores the version in the high 16 bits of its call.
//     The multiplexer is denied for sub-calls with conditions, and its
//     rules compare the call as the kernel decodes it (low 32 bits for
//     socketcall, low 16 for ipc).
//   - 32-bit twins: a rule that denies setuid also denies setuid32, mmap
//     mmap2, fcntl fcntl64, clock_settime clock_settime64 and the other
//     names of the same call on 32-bit ABIs, when no rule names them.
//   - terminal ioctls: ioctl's TIOCSTI, TIOCLINUX and TIOCCONS get the
//     profile's denial (see TIOCSTI).
//
// A denial that must win over rules libseccomp derives (the multiplexer's)
// cannot have the default action, since runc skips such rules: it gets
// the nearest other denial (EACCES instead of EPERM, KILL_THREAD instead
// of KILL_PROCESS). The error wraps ErrOverlap when rules with different
// actions on a rewritten argument may overlap, ErrWidth when the covered
// ABIs truncate a compared argument to different widths, and
// profile.ErrInvalid when a rule would need more than MaxRules rules.
func Profile(p *profile.Profile, host arch.Arch) (*profile.Profile, []Change, error) {
	if p.Conditional() {
		return nil, nil, fmt.Errorf("%w: harden: the profile has includes, excludes or archMap; resolve it first", profile.ErrInvalid)
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	h := &hardener{p: p.Clone(), arches: coveredArches(p, host)}
	// Twins first, so that the names they add get their own widths.
	h.twins()
	if err := h.intArgs(); err != nil {
		return nil, nil, err
	}
	h.multiplexers()
	h.terminal()
	return h.p, h.changes, nil
}

type hardener struct {
	p       *profile.Profile
	arches  []arch.Arch
	changes []Change
}

func coveredArches(p *profile.Profile, host arch.Arch) []arch.Arch {
	as := slices.Clone(p.Arches)
	if host != arch.Invalid {
		as = append(as, host)
	}
	slices.Sort(as)
	return slices.Compact(as)
}

func allowing(a profile.Action) bool { return a.Permits() }

// severer returns the more severe of a and b (a when they tie).
func severer(a, b profile.Action) profile.Action {
	if b.Kind < a.Kind {
		return b
	}
	return a
}

// denyUnlike returns a denial that is not def, the nearest one to def.
func denyUnlike(def profile.Action) profile.Action {
	const eacces = 13
	switch def.Kind {
	case profile.ActErrno:
		if def.Data == profile.EPERM {
			return profile.Action{Kind: profile.ActErrno, Data: eacces}
		}
	case profile.ActKillProcess, profile.ActTrap:
		return profile.Action{Kind: profile.ActKillThread}
	case profile.ActKillThread:
		return profile.Action{Kind: profile.ActKillProcess}
	}
	return profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
}

// denial returns the action that denies on behalf of the profile: the
// default when it denies, EPERM otherwise.
func (h *hardener) denial() profile.Action {
	if allowing(h.p.Default) || h.p.Default.Kind == profile.ActTrace || h.p.Default.Kind == profile.ActUserNotif {
		return profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
	}
	return h.p.Default
}

// width returns how many low bits of argument i of name the kernel uses
// on the ABIs the profile covers: the widest of them, 64 when any ABI
// uses the whole register or the prototype is unknown everywhere.
func (h *hardener) width(name string, i uint8) int {
	_, hi := h.widths(name, i)
	return hi
}

// widths returns the narrowest and the widest of the widths of argument
// i of name on the ABIs the profile covers (both 64 when unknown).
func (h *hardener) widths(name string, i uint8) (lo, hi int) {
	lo, hi = 64, 0
	for _, a := range h.arches {
		if _, ok := a.SyscallNumber(name); !ok {
			if _, ok := a.Multiplexed(name); !ok {
				continue
			}
		}
		b, ok := a.ArgBits(name, int(i))
		if !ok {
			return 64, 64
		}
		lo, hi = min(lo, b), max(hi, b)
	}
	if hi == 0 {
		return 64, 64
	}
	return lo, hi
}

// extremes names the ABI on which argument i of name is narrowest, and
// the one on which it is widest.
func (h *hardener) extremes(name string, i uint8) (narrow, wide arch.Arch) {
	lo, hi := 65, -1
	for _, a := range h.arches {
		if b, ok := a.ArgBits(name, int(i)); ok {
			if _, ok := a.SyscallNumber(name); !ok {
				continue
			}
			if b < lo {
				lo, narrow = b, a
			}
			if b > hi {
				hi, wide = b, a
			}
		}
	}
	return narrow, wide
}

// Width is the number of low bits of argument i of system call name that
// the kernel uses on the ABIs a profile for host covers (host and
// arches): 64 unless every one of them truncates it.
func Width(host arch.Arch, arches []arch.Arch, name string, i uint8) int {
	_, hi := Widths(host, arches, name, i)
	return hi
}

// Widths is Width's narrowest and widest: they differ when the ABIs
// disagree (setuid takes a 16-bit id on x86, a 32-bit one on x86_64).
func Widths(host arch.Arch, arches []arch.Arch, name string, i uint8) (lo, hi int) {
	h := &hardener{p: &profile.Profile{Arches: arches}, arches: coveredArches(&profile.Profile{Arches: arches}, host)}
	return h.widths(name, i)
}

// option is one way a condition of a rewritten rule can hold: a cube, the
// original condition kept, or nothing to test.
type option struct {
	cond *profile.Cond
}

// intArgs rewrites every comparison of a truncated argument.
func (h *hardener) intArgs() error {
	var out []profile.Rule
	for i, r := range h.p.Rules {
		if len(r.Conds) == 0 || r.Action == h.p.Default {
			out = append(out, r)
			continue
		}
		rules, changed, err := h.expand(i, r)
		if err != nil {
			return err
		}
		if !changed {
			out = append(out, r)
			continue
		}
		out = append(out, rules...)
	}
	h.p.Rules = out
	return h.checkOverlaps()
}

// expand rewrites rule r (index i). Names whose arguments have different
// widths get rules of their own.
func (h *hardener) expand(i int, r profile.Rule) ([]profile.Rule, bool, error) {
	// Group the names by the widths of the arguments the rule compares,
	// the narrowest and the widest over the ABIs: names that agree on
	// the widest can still differ on the narrowest (setresgid's ids are
	// 16 bits on x86, semget's nsems 32 everywhere).
	type group struct {
		names  []string
		widths map[uint8][2]int
	}
	var groups []*group
	for _, n := range r.Names {
		ws := map[uint8][2]int{}
		for _, c := range r.Conds {
			lo, hi := h.widths(n, c.Arg)
			ws[c.Arg] = [2]int{lo, hi}
		}
		found := false
		for _, g := range groups {
			if maps.Equal(g.widths, ws) {
				g.names = append(g.names, n)
				found = true
				break
			}
		}
		if !found {
			groups = append(groups, &group{names: []string{n}, widths: ws})
		}
	}
	var out []profile.Rule
	changed := false
	var msgs []string
	for _, g := range groups {
		for _, conj := range profile.Conjunctions(r.Conds) {
			choices := make([][]option, len(conj))
			never := false
			for k, c := range conj {
				lo, w := g.widths[c.Arg][0], g.widths[c.Arg][1]
				if w >= 64 {
					c := c
					choices[k] = []option{{&c}}
					continue
				}
				if c.Op == profile.OpMaskedEQ && c.Value&^lowMask(lo) == 0 {
					// Already a comparison of the bits the kernel uses.
					c := c
					choices[k] = []option{{&c}}
					continue
				}
				if lo != w {
					narrow, wide := h.extremes(g.names[0], c.Arg)
					return nil, false, fmt.Errorf("%w: harden: rule %d (%s): %s: argument %d is %d bits on %s and %d on %s, so no comparison decides both as their kernels do; cover one of them per profile, or compare with MASKED_EQ on the low %d bits",
						ErrWidth, i+1, strings.Join(r.Names, ", "), c, c.Arg, lo, narrow, w, wide, lo)
				}
				cubes, all := cubesOf(c, w)
				changed = true
				msgs = append(msgs, fmt.Sprintf("%s (%s)", c, argDesc(h.arches, g.names[0], c.Arg, w)))
				switch {
				case all:
					choices[k] = []option{{nil}}
				case len(cubes) == 0:
					never = true
				default:
					for _, cb := range cubes {
						cc := cb.cond(c.Arg)
						choices[k] = append(choices[k], option{&cc})
					}
				}
			}
			if never {
				continue
			}
			n := 1
			for _, ch := range choices {
				n *= len(ch)
				if n > MaxRules {
					return nil, false, fmt.Errorf("%w: harden: rule %d (%s) would become more than %d rules; compare fewer arguments in one rule, or use MASKED_EQ on the low %d bits", profile.ErrInvalid, i+1, strings.Join(r.Names, ", "), MaxRules, g.widths[conj[0].Arg][1])
				}
			}
			idx := make([]int, len(choices))
			for {
				nr := profile.Rule{Names: slices.Clone(g.names), Action: r.Action, Comment: r.Comment}
				for k, ch := range choices {
					if o := ch[idx[k]]; o.cond != nil {
						nr.Conds = append(nr.Conds, *o.cond)
					}
				}
				out = append(out, nr)
				k := len(idx) - 1
				for k >= 0 {
					idx[k]++
					if idx[k] < len(choices[k]) {
						break
					}
					idx[k] = 0
					k--
				}
				if k < 0 {
					break
				}
			}
		}
	}
	if len(out) > MaxRules {
		return nil, false, fmt.Errorf("%w: harden: rule %d (%s) would become %d rules, more than %d", profile.ErrInvalid, i+1, strings.Join(r.Names, ", "), len(out), MaxRules)
	}
	if changed {
		slices.Sort(msgs)
		msgs = slices.Compact(msgs)
		h.changes = append(h.changes, Change{Check: "int-high-bits", Rule: i, Names: slices.Clone(r.Names),
			Message: fmt.Sprintf("rule %d (%s, %s): %s compared on the bits the kernel uses, as %d rule(s)", i+1, strings.Join(r.Names, ", "), r.Action, strings.Join(msgs, ", "), len(out))})
	}
	return out, changed, nil
}

// argDesc names argument i of name as the kernel declares it: "int family".
func argDesc(as []arch.Arch, name string, i uint8, w int) string {
	for _, a := range as {
		if args, ok := a.SyscallArgs(name); ok && int(i) < len(args) {
			return fmt.Sprintf("%s's %s, %d bits", name, args[i], w)
		}
	}
	return fmt.Sprintf("%s's argument %d, %d bits", name, i, w)
}

// checkOverlaps refuses conditional rules with different actions for one
// name whose conditions may hold together, when one of them compares a
// truncated argument: their order in libseccomp's tree depends on the
// operators, which rewriting changes.
func (h *hardener) checkOverlaps() error {
	byName := map[string][]int{}
	for i, r := range h.p.Rules {
		if len(r.Conds) == 0 || r.Action == h.p.Default {
			continue
		}
		for _, n := range r.Names {
			byName[n] = append(byName[n], i)
		}
	}
	names := slices.Sorted(maps.Keys(byName))
	for _, n := range names {
		idx := byName[n]
		narrow := false
		for _, i := range idx {
			for _, c := range h.p.Rules[i].Conds {
				if h.width(n, c.Arg) < 64 {
					narrow = true
				}
			}
		}
		if !narrow {
			continue
		}
		for x := 0; x < len(idx); x++ {
			for y := x + 1; y < len(idx); y++ {
				a, b := h.p.Rules[idx[x]], h.p.Rules[idx[y]]
				if a.Action == b.Action || !mayOverlap(a.Conds, b.Conds) {
					continue
				}
				return fmt.Errorf("%w: harden: %s: rules for %s (%s: %s) and (%s: %s) can both match; make their conditions exclusive (MASKED_EQ on the low 32 bits) so that hardening keeps which one wins",
					ErrOverlap, n, n, a.Action, condList(a.Conds), b.Action, condList(b.Conds))
			}
		}
	}
	return nil
}

func condList(cs []profile.Cond) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, " && ")
}

// mayOverlap reports whether two conjunctions (each at most one condition
// per argument, as the rewritten rules are) may both hold: false only
// when some argument has cubes in both that are disjoint.
func mayOverlap(a, b []profile.Cond) bool {
	if len(profile.Conjunctions(a)) > 1 || len(profile.Conjunctions(b)) > 1 {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if x.Arg != y.Arg {
				continue
			}
			cx, okx := asCube(x)
			cy, oky := asCube(y)
			if okx && oky && cx.disjoint(cy) {
				return false
			}
		}
	}
	return true
}

func asCube(c profile.Cond) (cube, bool) {
	switch c.Op {
	case profile.OpEQ:
		return cube{^uint64(0), c.Value}, true
	case profile.OpMaskedEQ:
		return cube{c.Value, c.ValueTwo & c.Value}, true
	}
	return cube{}, false
}
