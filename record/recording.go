package record

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// MaxValues bounds the distinct argument values kept for one system call;
// beyond it the call is allowed with any arguments.
const MaxValues = 32

// Recording is the set of system calls a program made, per ABI, with the
// values of the arguments seccomp can check safely.
type Recording struct {
	// Native is the ABI of the kernel the program ran on (recorded) or
	// of the trace (imported).
	Native arch.Arch
	// Partial reports that the program did not run to its end (it
	// crashed), so the recording may lack what the rest of the run
	// would have done. Reason says why.
	Partial bool
	Reason  string
	// Unknown lists system calls no table names, as "abi:number".
	Unknown []string
	// Lost are the counters of what a recorder could not record, each
	// that it keeps (zero or not); any loss makes the recording Partial.
	Lost []Loss

	calls map[callKey]*callSet
}

// Loss counts events of one kind a recorder could not record.
type Loss struct {
	What  string `json:"what"`
	Count uint64 `json:"count"`
}

// AddLoss adds n to the counter what of Lost, making the recording
// Partial when n is not 0.
func (r *Recording) AddLoss(what string, n uint64) {
	i := slices.IndexFunc(r.Lost, func(l Loss) bool { return l.What == what })
	if i < 0 {
		r.Lost = append(r.Lost, Loss{What: what})
		i = len(r.Lost) - 1
	}
	r.Lost[i].Count += n
	if n > 0 {
		r.Partial = true
	}
}

type callKey struct {
	abi  arch.Arch
	name string
}

// callSet is what was seen of one system call on one ABI.
type callSet struct {
	count  uint64
	values map[[2]uint64]bool // argument values at the indexes of argSpec
	many   bool               // more than MaxValues distinct values, or arguments not captured
}

// Call is one system call of a recording.
type Call struct {
	Arch  arch.Arch
	Name  string
	Count uint64
	// Values are the distinct values of the checked arguments (ArgIndexes),
	// sorted; nil when any value was seen or none was captured.
	Values     [][]uint64
	ArgIndexes []uint8
}

// New returns an empty recording for a kernel whose native ABI is native.
func New(native arch.Arch) *Recording {
	return &Recording{Native: native, calls: map[callKey]*callSet{}}
}

// ArgIndexes returns the indexes of the arguments of system call name on
// abi whose values Options.Args records (the integer arguments seccomp can
// check without reading memory), in the order AddValues takes them; nil
// for a call with none.
func ArgIndexes(abi arch.Arch, name string) []uint8 {
	return slices.Clone(argSpec(abi, name))
}

// argSpec returns the indexes of the integer arguments of name on abi
// that seccomp can check without reading memory: flags, commands,
// families, requests. Pointer arguments are never among them.
func argSpec(abi arch.Arch, name string) []uint8 {
	switch name {
	case "socket":
		return []uint8{0, 1} // family, type (with SOCK_CLOEXEC and SOCK_NONBLOCK)
	case "clone":
		if abi == arch.S390 || abi == arch.S390X {
			return []uint8{1} // clone(stack, flags, ...) on s390
		}
		return []uint8{0}
	case "ioctl", "fcntl", "fcntl64":
		return []uint8{1} // request, command
	case "prctl", "personality":
		return []uint8{0} // option, persona
	case "mprotect", "pkey_mprotect":
		return []uint8{2} // prot
	case "mmap":
		if abi == arch.X86 || abi == arch.ARM || abi == arch.S390 || abi == arch.S390X || abi == arch.M68K {
			return nil // old_mmap: one pointer to a struct
		}
		return []uint8{2}
	case "mmap2":
		return []uint8{2}
	}
	return nil
}

// Add records system call nr of ABI abi with its arguments. args may be
// nil when they are not known; withArgs asks to keep the values argSpec
// names. A socketcall(2) or ipc(2) is recorded as the sub-call its first
// argument selects, which is how profiles name them.
func (r *Recording) Add(abi arch.Arch, nr uint32, args *[6]uint64, withArgs bool) {
	name, ok := r.syscallName(abi, nr)
	if !ok {
		return
	}
	if (name == "socketcall" || name == "ipc") && args != nil {
		call := uint32(args[0])
		if name == "ipc" {
			call &= 0xffff // the high half is the ipc version
		}
		if sub, ok := arch.SubcallName(name, call); ok {
			name = sub
			args, withArgs = nil, false // the sub-call's arguments are in memory
		}
	}
	r.add(abi, name, args, withArgs)
}

// syscallName returns the name of system call nr of abi, or notes the
// number in r.Unknown (once) when abi has no such call.
func (r *Recording) syscallName(abi arch.Arch, nr uint32) (string, bool) {
	name, ok := abi.SyscallName(nr)
	if !ok {
		u := fmt.Sprintf("%s:%d", abi, nr)
		if !slices.Contains(r.Unknown, u) {
			r.Unknown = append(r.Unknown, u)
		}
	}
	return name, ok
}

// AddCount records n calls of system call nr of ABI abi whose arguments
// are not known, as an engine that counts calls reports them. A
// socketcall(2) or ipc(2) is recorded under its own name.
func (r *Recording) AddCount(abi arch.Arch, nr uint32, n uint64) {
	if n == 0 {
		return
	}
	name, ok := r.syscallName(abi, nr)
	if !ok {
		return
	}
	r.add(abi, name, nil, false)
	r.calls[callKey{abi, name}].count += n - 1
}

// AddValues records n calls of system call nr of ABI abi, as an engine
// that collects value sets reports them: vals are the distinct values of
// its checked arguments (ArgIndexes, each with that many values), and many
// reports that other values were seen too or not captured (the call is
// then allowed with any arguments). Values of a 32-bit ABI keep their low
// half, as Add keeps them.
func (r *Recording) AddValues(abi arch.Arch, nr uint32, n uint64, vals [][]uint64, many bool) {
	if n == 0 {
		return
	}
	name, ok := abi.SyscallName(nr)
	if !ok {
		r.AddCount(abi, nr, n)
		return
	}
	spec := argSpec(abi, name)
	if many || len(spec) == 0 || len(vals) == 0 {
		r.add(abi, name, nil, false)
	} else {
		for _, v := range vals {
			if len(v) != len(spec) {
				r.add(abi, name, nil, false) // a caller's mistake: keep the call, allow any value
				continue
			}
			var args [6]uint64
			for i, a := range spec {
				args[a] = v[i]
			}
			r.add(abi, name, &args, true)
		}
	}
	s := r.calls[callKey{abi, name}]
	if c := uint64(max(len(vals), 1)); n > c {
		s.count += n - c
	}
}

// AddSubcall records n calls of the multiplexer ("socketcall" or "ipc")
// of ABI abi whose first argument was call: as the sub-call it selects,
// as Add names it, or as the multiplexer when call selects none.
func (r *Recording) AddSubcall(abi arch.Arch, multiplexer string, call uint32, n uint64) {
	if n == 0 {
		return
	}
	name := multiplexer
	if multiplexer == "ipc" {
		call &= 0xffff
	}
	if sub, ok := arch.SubcallName(multiplexer, call); ok {
		name = sub
	}
	r.add(abi, name, nil, false)
	r.calls[callKey{abi, name}].count += n - 1
}

// AddName records the system call name of ABI abi, whose arguments are not
// known.
func (r *Recording) AddName(abi arch.Arch, name string) {
	r.add(abi, name, nil, false)
}

func (r *Recording) add(abi arch.Arch, name string, args *[6]uint64, withArgs bool) {
	k := callKey{abi, name}
	s := r.calls[k]
	if s == nil {
		s = &callSet{}
		r.calls[k] = s
	}
	s.count++
	if s.many {
		return
	}
	spec := argSpec(abi, name)
	if !withArgs || args == nil || len(spec) == 0 {
		s.many, s.values = true, nil
		return
	}
	var v [2]uint64
	for i, a := range spec {
		v[i] = args[a]
		if abi.Bits() == 32 {
			v[i] &= 0xffffffff
		}
	}
	if s.values == nil {
		s.values = map[[2]uint64]bool{}
	}
	s.values[v] = true
	if len(s.values) > MaxValues {
		s.many, s.values = true, nil
	}
}

// Len returns the number of distinct (ABI, system call) pairs recorded.
func (r *Recording) Len() int { return len(r.calls) }

// Merge adds the calls of o to r.
func (r *Recording) Merge(o *Recording) {
	for k, s := range o.calls {
		t := r.calls[k]
		if t == nil {
			t = &callSet{}
			r.calls[k] = t
		}
		t.count += s.count
		if t.many || s.many {
			t.many, t.values = true, nil
			continue
		}
		if t.values == nil {
			t.values = map[[2]uint64]bool{}
		}
		for v := range s.values {
			t.values[v] = true
		}
		if len(t.values) > MaxValues {
			t.many, t.values = true, nil
		}
	}
	for _, u := range o.Unknown {
		if !slices.Contains(r.Unknown, u) {
			r.Unknown = append(r.Unknown, u)
		}
	}
	for _, l := range o.Lost {
		r.AddLoss(l.What, l.Count)
	}
	if o.Partial {
		r.Partial = true
		r.Reason = strings.TrimPrefix(r.Reason+"; "+o.Reason, "; ")
	}
}

// Calls returns the recorded system calls sorted by ABI and name.
func (r *Recording) Calls() []Call {
	out := make([]Call, 0, len(r.calls))
	for k, s := range r.calls {
		c := Call{Arch: k.abi, Name: k.name, Count: s.count}
		if !s.many && len(s.values) > 0 {
			c.ArgIndexes = argSpec(k.abi, k.name)
			for v := range s.values {
				c.Values = append(c.Values, slices.Clone(v[:len(c.ArgIndexes)]))
			}
			slices.SortFunc(c.Values, slices.Compare)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Call) int {
		return cmp.Or(cmp.Compare(a.Arch, b.Arch), strings.Compare(a.Name, b.Name))
	})
	return out
}

// Has reports whether the recording has system call name on abi.
func (r *Recording) Has(abi arch.Arch, name string) bool {
	_, ok := r.calls[callKey{abi, name}]
	return ok
}

// ProfileOptions control Recording.Profile.
type ProfileOptions struct {
	// Default is the action for everything the program did not do; the
	// zero value means ERRNO(EPERM).
	Default profile.Action
	// Comment is put on the rules, for instance the command recorded.
	Comment string
}

// Profile returns the least profile that allows what r recorded: the
// default action for everything else, the ABIs seen (and the native one),
// one ALLOW rule for the calls allowed with any arguments and, for calls
// whose checked arguments were captured, one ALLOW rule per distinct
// value (EQ on each checked argument). System calls numbered above the
// largest one the profile names get ENOSYS from the compiled filter, as
// with runc. Unless the default allows, the calls glibc, systemd and runc
// fall back from only on ENOSYS (clone3, close_range, faccessat2,
// fchmodat2, openat2, statx) get ERRNO(ENOSYS) when r has none of them,
// not the default.
//
// Profiles name system calls, not numbers per ABI: a name seen on one
// ABI is allowed on every ABI of the profile that has it.
func (r *Recording) Profile(o ProfileOptions) *profile.Profile {
	return r.profile(o, true)
}

// profile is Profile; without fallbacks it adds no ENOSYS rule for the
// calls not recorded (the rules that add a recording to a profile).
func (r *Recording) profile(o ProfileOptions, fallbacks bool) *profile.Profile {
	p := &profile.Profile{Default: o.Default}
	if p.Default.Kind == 0 {
		p.Default = profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
	}
	abis := map[arch.Arch]bool{}
	if r.Native != arch.Invalid {
		abis[r.Native] = true
	}
	type nameArgs struct {
		many   bool
		idx    []uint8
		values map[string][]uint64
	}
	byName := map[string]*nameArgs{}
	for _, c := range r.Calls() {
		abis[c.Arch] = true
		n := byName[c.Name]
		if n == nil {
			n = &nameArgs{values: map[string][]uint64{}}
			byName[c.Name] = n
		}
		if c.Values == nil || (n.idx != nil && !slices.Equal(n.idx, c.ArgIndexes)) {
			n.many = true
			continue
		}
		n.idx = c.ArgIndexes
		for _, v := range c.Values {
			n.values[fmt.Sprint(v)] = v
		}
	}
	for a := range abis {
		if a != r.Native {
			p.Arches = append(p.Arches, a)
		}
	}
	slices.Sort(p.Arches)
	if r.Native != arch.Invalid {
		p.Arches = slices.Insert(p.Arches, 0, r.Native)
	}
	allow := profile.Action{Kind: profile.ActAllow}
	var any []string
	var conds []profile.Rule
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n := byName[name]
		if n.many || len(n.values) > MaxValues {
			any = append(any, name)
			continue
		}
		vals := make([][]uint64, 0, len(n.values))
		for _, v := range n.values {
			vals = append(vals, v)
		}
		slices.SortFunc(vals, slices.Compare)
		for _, v := range vals {
			rule := profile.Rule{Names: []string{name}, Action: allow, Comment: o.Comment}
			for i, a := range n.idx {
				rule.Conds = append(rule.Conds, profile.Cond{Arg: a, Op: profile.OpEQ, Value: v[i]})
			}
			conds = append(conds, rule)
		}
	}
	if len(any) > 0 {
		p.Rules = append(p.Rules, profile.Rule{Names: any, Action: allow, Comment: o.Comment})
	}
	p.Rules = append(p.Rules, conds...)
	if fallbacks && p.Default.Kind != profile.ActAllow && p.Default.Kind != profile.ActLog &&
		(p.Default.Kind != profile.ActErrno || p.Default.Data != enosys) {
		// What the program did not call, a newer glibc or kernel may
		// try first: give those that have a fallback the ENOSYS it takes
		// as "not here", not the default, which it would take as the
		// call's own failure (or be killed by).
		var fb []string
		for _, name := range enosysFallbacks {
			if byName[name] == nil {
				fb = append(fb, name)
			}
		}
		if len(fb) > 0 {
			p.Rules = append(p.Rules, profile.Rule{Names: fb, Action: profile.Action{Kind: profile.ActErrno, Data: enosys},
				Comment: "not called; ENOSYS so that glibc, systemd and runc fall back to the older calls"})
		}
	}
	return p
}

// enosys is ENOSYS, the errno that tells "no such system call".
const enosys = 38

// enosysFallbacks are the system calls that glibc, systemd and runc try
// first and fall back from only on ENOSYS (the calls lint's
// errno-not-enosys check names).
var enosysFallbacks = []string{"clone3", "close_range", "faccessat2", "fchmodat2", "openat2", "statx"}
