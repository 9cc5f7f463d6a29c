package harden

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// multiplexer describes socketcall(2) or ipc(2): the bits of the first
// argument the kernel decodes as the sub-call (socketcall's call is an
// int; ipc's is an unsigned int whose high 16 bits are a version), and
// the sub-calls.
type multiplexer struct {
	name  string
	mask  uint64
	calls []uint32
}

var multiplexers = []multiplexer{
	{"socketcall", 0xffffffff, []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}},
	{"ipc", 0xffff, []uint32{1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24}},
}

// IPCCallMask and SocketcallMask are the bits of the first argument of
// ipc(2) and socketcall(2) that select the sub-call.
const (
	IPCCallMask    = 0xffff
	SocketcallMask = 0xffffffff
)

// subcall is how the profile decides a multiplexed sub-call directly.
type subcall struct {
	named       bool
	fixed       bool           // an unconditional rule decides it
	action      profile.Action // that rule's action, or the severest outcome of its conditional rules
	conditional bool
}

func (h *hardener) decideSubcall(name string) subcall {
	var s subcall
	for _, r := range h.p.Rules {
		if r.Action == h.p.Default || !slices.Contains(r.Names, name) {
			continue
		}
		if len(r.Conds) == 0 {
			return subcall{named: true, fixed: true, action: r.Action}
		}
		if !s.conditional {
			s = subcall{named: true, conditional: true, action: h.p.Default}
		}
		s.action = severer(s.action, r.Action)
	}
	return s
}

// multiplexers makes socketcall and ipc decide each sub-call as the
// sub-call's own rules do, as far as a filter can see it.
func (h *hardener) multiplexers() {
	var front []profile.Rule
	for _, m := range multiplexers {
		if !h.hasMux(m.name) {
			continue
		}
		// The multiplexer's own rules: the first unconditional one
		// decides every call (libseccomp drops or replaces the
		// conditional ones, derived ones included).
		own := -1
		for i, r := range h.p.Rules {
			if r.Action != h.p.Default && len(r.Conds) == 0 && slices.Contains(r.Names, m.name) {
				own = i
				break
			}
		}
		var ownAction profile.Action
		if own >= 0 {
			ownAction = h.p.Rules[own].Action
			h.removeName(m.name)
		}
		var denied, kept, masked []string
		for _, c := range m.calls {
			name, _ := arch.SubcallName(m.name, c)
			s := h.decideSubcall(name)
			var a profile.Action
			switch {
			case s.conditional:
				// The severest outcome of its rules: through the
				// multiplexer they cannot be told apart.
				a = s.action
				if a == h.p.Default {
					a = denyUnlike(h.p.Default)
				}
				if !allowing(a) {
					denied = append(denied, name)
				}
			case s.fixed:
				a = s.action
				if own < 0 && !allowing(a) && a != h.p.Default {
					masked = append(masked, name)
				}
			case own >= 0:
				a = ownAction
			default:
				continue
			}
			if a == h.p.Default {
				continue
			}
			if own >= 0 && allowing(a) {
				kept = append(kept, name)
			}
			front = append(front, profile.Rule{Names: []string{m.name}, Action: a,
				Conds:   []profile.Cond{{Arg: 0, Op: profile.OpMaskedEQ, Value: m.mask, ValueTwo: uint64(c)}},
				Comment: fmt.Sprintf("%s(%s) as syscage harden decides it", m.name, name)})
		}
		if len(denied) > 0 {
			h.changes = append(h.changes, Change{Check: "multiplexer", Rule: -1, Names: append([]string{m.name}, denied...),
				Message: fmt.Sprintf("%s is denied for %s: %s rules have argument conditions, which a filter cannot check through %s (the arguments are behind a pointer)", m.name, strings.Join(denied, ", "), them(denied), m.name)})
		}
		if len(masked) > 0 {
			h.changes = append(h.changes, Change{Check: "multiplexer", Rule: -1, Names: append([]string{m.name}, masked...),
				Message: fmt.Sprintf("%s's denial of %s compares the bits of the call the kernel decodes (mask %#x), so that other bits (ipc's version) do not slip past it", m.name, strings.Join(masked, ", "), m.mask)})
		}
		if own >= 0 {
			h.changes = append(h.changes, Change{Check: "multiplexer", Rule: -1, Names: []string{m.name},
				Message: fmt.Sprintf("a rule allowed every %s sub-call; now each is decided as the sub-call is (%d allowed), on the bits of the call the kernel decodes (mask %#x)", m.name, len(kept), m.mask)})
		}
	}
	if len(front) > 0 {
		h.p.Rules = append(front, h.p.Rules...)
	}
}

func them(names []string) string {
	if len(names) == 1 {
		return "its"
	}
	return "their"
}

// hasMux reports whether an ABI the profile covers has the multiplexer.
func (h *hardener) hasMux(name string) bool {
	for _, a := range h.arches {
		if _, ok := a.SyscallNumber(name); ok {
			if name == "socketcall" {
				if _, ok := a.Socketcall(); ok {
					return true
				}
			} else if _, ok := a.IPC(); ok {
				return true
			}
		}
	}
	return false
}

// removeName takes name out of every rule, dropping rules left without
// names.
func (h *hardener) removeName(name string) {
	out := h.p.Rules[:0]
	for _, r := range h.p.Rules {
		if i := slices.Index(r.Names, name); i >= 0 {
			r.Names = slices.Delete(slices.Clone(r.Names), i, i+1)
			if len(r.Names) == 0 {
				continue
			}
		}
		out = append(out, r)
	}
	h.p.Rules = out
}

// terminal denies ioctl's TIOCSTI, TIOCLINUX and TIOCCONS: rules that allow ioctl
// stop allowing those commands (on the low 32 bits of cmd, as the kernel
// reads it), and a profile whose default allows gets rules denying them.
func (h *hardener) terminal() {
	points := []uint64{TIOCSTI, TIOCLINUX, TIOCCONS}
	for _, a := range h.arches {
		if strings.HasPrefix(a.String(), "mips") {
			points = append(points, mipsTIOCSTI, mipsTIOCLINUX, mipsTIOCCONS)
			break
		}
	}
	const cmd = 1
	m := lowMask(32)
	var out []profile.Rule
	changed := false
	for _, r := range h.p.Rules {
		if !slices.Contains(r.Names, "ioctl") || !allowing(r.Action) || r.Action == h.p.Default {
			out = append(out, r)
			continue
		}
		// Split ioctl off the rule, then give it the commands of the
		// rule minus the terminal ones.
		rest := r
		rest.Names = slices.DeleteFunc(slices.Clone(r.Names), func(n string) bool { return n == "ioctl" })
		if len(rest.Names) > 0 {
			out = append(out, rest)
		}
		for _, conj := range profile.Conjunctions(r.Conds) {
			within := cube{0, 0}
			var others []profile.Cond
			for _, c := range conj {
				if c.Arg == cmd {
					if cb, ok := asCube(c); ok && cb.mask&^m == 0 {
						within = cb
						continue
					}
					// A comparison of cmd hardening did not turn into a
					// cube (an unknown width): intersect with it.
					others = append(others, c)
					continue
				}
				others = append(others, c)
			}
			for _, cb := range complement(within, points, m) {
				nr := profile.Rule{Names: []string{"ioctl"}, Action: r.Action, Comment: r.Comment,
					Conds: append(slices.Clone(others), cb.cond(cmd))}
				out = append(out, nr)
			}
		}
		changed = true
	}
	h.p.Rules = out
	if allowing(h.p.Default) {
		d := h.denial()
		for _, p := range points {
			h.p.Rules = append(h.p.Rules, profile.Rule{Names: []string{"ioctl"}, Action: d,
				Conds: []profile.Cond{{Arg: cmd, Op: profile.OpMaskedEQ, Value: m, ValueTwo: p}}})
		}
		changed = true
	}
	if changed {
		h.changes = append(h.changes, Change{Check: "terminal-ioctl", Rule: -1, Names: []string{"ioctl"},
			Message: fmt.Sprintf("ioctl TIOCSTI, TIOCLINUX and TIOCCONS get %s (on the low 32 bits of cmd): a program could type commands into the terminal it shares with its caller, or take the console's output", h.denial())})
	}
}
