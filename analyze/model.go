package analyze

import (
	"fmt"
	"slices"
)

// resolveWrappers gives each function the numbers it passes to the
// wrappers of its module (functions that pass an argument of theirs to
// SYSCALL as the number), to a fixed point, so that wrappers of
// wrappers are followed.
func (m *module) resolveWrappers() {
	told := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, f := range m.funcs {
			for _, s := range f.sites {
				if s.name != "" {
					continue
				}
				g := m.funcAt(s.target)
				if g == nil || g.numArg == 0 {
					continue
				}
				v := s.rax
				switch g.numArg {
				case rDI + 1:
					v = s.rdi
				case argStack0 + 1:
					v = s.stk
				}
				switch {
				case v.arg != 0:
					if f.numArg == 0 {
						f.numArg = v.arg
						changed = true
					}
				case v.top || len(v.consts) == 0:
					msg := fmt.Sprintf("%s calls the system-call wrapper %s with a number computed at run time", f.name, g.name)
					if !told[msg] {
						told[msg] = true
						f.unresolved = append(f.unresolved, msg)
					}
				default:
					for _, c := range v.consts {
						if !slices.Contains(f.numbers, c) {
							f.numbers = append(f.numbers, c)
							changed = true
						}
					}
				}
			}
		}
	}
}

// Reach is what the code reachable from a function (an export, or a
// module's initializers) does: the system calls it makes itself, the
// imported functions it calls, and what could not be resolved.
type Reach struct {
	// Numbers maps each system-call number to a function that makes the
	// call.
	Numbers map[uint64]string `json:"numbers,omitempty"`
	// Imports are the imported functions called, with the numbers they
	// are passed where the import turns out to be a system-call wrapper.
	Imports []ImportCall `json:"imports,omitempty"`
	// NumArg is set when the function passes an argument of its own
	// (in register "rax" or "rdi") as a system-call number; on arm64
	// "rax" names x0, the first argument register.
	NumArg     string   `json:"numArg,omitempty"`
	Unresolved []string `json:"unresolved,omitempty"`
}

// ImportCall is a call to an imported function: the values of the
// registers a wrapper takes its number in, when known.
type ImportCall struct {
	Name string   `json:"name"`
	RAX  []uint64 `json:"rax,omitempty"` // nil: not known; x0 on arm64
	RDI  []uint64 `json:"rdi,omitempty"`
}

// reach walks the call graph from roots; an indirect call reaches
// takenAll, what the functions whose address is taken reach.
func (m *module) reach(roots []uint64, takenAll *Reach) *Reach {
	r := &Reach{Numbers: map[uint64]string{}}
	seen := map[*function]bool{}
	imports := map[string]bool{}
	var work []*function
	push := func(a uint64) {
		if f := m.funcAt(a); f != nil && !seen[f] {
			seen[f] = true
			work = append(work, f)
		}
	}
	for _, a := range roots {
		push(a)
	}
	if len(work) == 1 {
		// Only wrappers that take the number in a register other modules
		// can pass it in are wrappers across modules.
		switch work[0].numArg {
		case rAX + 1:
			r.NumArg = "rax"
		case rDI + 1:
			r.NumArg = "rdi"
		}
	}
	indirect := false
	for len(work) > 0 {
		f := work[len(work)-1]
		work = work[:len(work)-1]
		for _, n := range f.numbers {
			if _, ok := r.Numbers[n]; !ok {
				r.Numbers[n] = f.name
			}
		}
		r.Unresolved = append(r.Unresolved, f.unresolved...)
		for _, s := range f.sites {
			if s.name != "" {
				ic := ImportCall{Name: s.name, RAX: knownConsts(s.rax), RDI: knownConsts(s.rdi)}
				key := fmt.Sprint(ic)
				if !imports[key] {
					imports[key] = true
					r.Imports = append(r.Imports, ic)
				}
				continue
			}
			push(s.target)
		}
		if f.indirect {
			indirect = true
		}
		if m.ifuncs[f.start] {
			// An IFUNC resolver returns the implementation it picks.
			for _, t := range f.taken {
				push(t)
			}
		}
	}
	if indirect && takenAll != nil {
		r.merge(takenAll)
	}
	slices.Sort(r.Unresolved)
	r.Unresolved = slices.Compact(r.Unresolved)
	return r
}

func knownConsts(v value) []uint64 {
	if v.top || v.arg != 0 {
		return nil
	}
	return v.consts
}

// merge adds o to r.
func (r *Reach) merge(o *Reach) {
	for n, w := range o.Numbers {
		if _, ok := r.Numbers[n]; !ok {
			r.Numbers[n] = w
		}
	}
	for _, ic := range o.Imports {
		if !slices.ContainsFunc(r.Imports, func(x ImportCall) bool {
			return x.Name == ic.Name && slices.Equal(x.RAX, ic.RAX) && slices.Equal(x.RDI, ic.RDI)
		}) {
			r.Imports = append(r.Imports, ic)
		}
	}
	r.Unresolved = append(r.Unresolved, o.Unresolved...)
}

// Model is what a library's code does, export by export: what a
// program that calls the export can reach through it. It is built once
// per build of a library and cached.
type Model struct {
	Path    string            `json:"path"`
	Machine string            `json:"machine"` // the ELF machine, EM_X86_64 or EM_AARCH64
	BuildID string            `json:"buildID,omitempty"`
	Exports map[string]*Reach `json:"exports"`
	// Init is what the library's initializers and finalizers reach (the
	// dynamic loader: its entry, which runs before any program).
	Init *Reach `json:"init"`
	// Needed are the library's DT_NEEDED entries.
	Needed []string `json:"needed,omitempty"`
}

// takenReach is what the functions whose address m takes reach: what an
// indirect call can reach.
func (m *module) takenReach() *Reach {
	var taken []uint64
	for a := range m.taken {
		taken = append(taken, a)
	}
	slices.Sort(taken)
	return m.reach(taken, nil)
}

// model builds the Model of m.
func (m *module) model() *Model {
	all := m.takenReach()
	md := &Model{Path: m.path, Machine: m.machine.String(), BuildID: m.buildID, Exports: map[string]*Reach{}}
	for name, a := range m.exports {
		md.Exports[name] = m.reach([]uint64{a}, all)
	}
	roots := slices.Clone(m.inits)
	if m.inText(m.entry) {
		roots = append(roots, m.entry)
	}
	md.Init = m.reach(roots, all)
	return md
}
