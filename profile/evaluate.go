package profile

import (
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile/internal/ruletree"
)

// Data is one system call as a seccomp filter sees it (struct
// seccomp_data without the instruction pointer).
type Data struct {
	Nr   uint32    // system-call number
	Arch uint32    // AUDIT_ARCH_* value
	Args [6]uint64 // arguments
}

// Evaluate returns the action that the filter runc and libseccomp build
// from p gives the system call d, on a kernel whose native ABI is native
// (the filter covers it and p.Arches; native may be arch.Invalid when
// p.Arches is not empty). It is the reference semantics of profiles,
// stated from the profile directly: it does not use Table. p must not
// have conditional parts (see Resolve).
//
// Evaluate does not add what runc adds after libseccomp (the ENOSYS stub
// for system calls newer than its tables); see seccomp.Expect. An error
// means libseccomp would refuse a rule for d's system call.
func Evaluate(p *Profile, native arch.Arch, d Data) (Action, error) {
	v, err := Explain(p, native, d)
	return v.Action, err
}

// Verdict is what a profile does with one system call, and why.
type Verdict struct {
	Action Action
	// Rule is the index in Profile.Rules of the rule that decided, or
	// one of DecidedByDefault and DecidedByBadArch.
	Rule int
}

// Values of Verdict.Rule that name no rule.
const (
	DecidedByDefault = -1 // the profile's default action
	DecidedByBadArch = -2 // the ABI is not covered: DefaultBadArch
)

// Explain is Evaluate, and names the rule that decided (the first rule
// whose libseccomp rule matched; for a rule split into several, the
// first of those).
func Explain(p *Profile, native arch.Arch, d Data) (Verdict, error) {
	eval, _, err := explainer(p, native, d.Arch, d.Nr)
	if err != nil {
		return Verdict{}, err
	}
	return eval(d.Args), nil
}

// explainer returns Explain for system call nr of the ABI of audit
// value auditArch, as a function of the arguments: the work that does
// not depend on them is done once. paths returns the conditions of the
// paths of the call's rule tree (those of its Table entry).
func explainer(p *Profile, native arch.Arch, auditArch, nr uint32) (eval func(args [6]uint64) Verdict, paths func() ([]Cond, error), err error) {
	noPaths := func() ([]Cond, error) { return nil, nil }
	d := Data{Nr: nr, Arch: auditArch}
	bad := Verdict{Action: DefaultBadArch, Rule: DecidedByBadArch}
	badFn := func([6]uint64) Verdict { return bad }
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if p.Conditional() {
		return nil, nil, fmt.Errorf("%w: the profile has includes, excludes or archMap; resolve it first", ErrInvalid)
	}
	covered := map[arch.Arch]bool{}
	if native != arch.Invalid {
		if !validArch(native) {
			return nil, nil, fmt.Errorf("%w: invalid architecture %d", ErrInvalid, native)
		}
		covered[native] = true
	}
	for _, a := range p.Arches {
		covered[a] = true
	}
	if len(covered) == 0 {
		return nil, nil, fmt.Errorf("%w: no architecture: give the native one", ErrInvalid)
	}

	abi, ok := arch.FromAudit(d.Arch)
	if !ok {
		return badFn, noPaths, nil
	}
	if abi == arch.X86_64 {
		// x86_64 and x32 share the audit value (_gen_bpf_arch): with both
		// covered the x32 bit picks the table; with x86_64 alone, numbers
		// with the bit are a bad architecture except -1 (which tracers use
		// to skip a call); with x32 alone, numbers without it are.
		// libseccomp compares (jge 0x40000000), it does not test the bit:
		// 0x80000000 counts as an x32 number.
		x32 := d.Nr >= arch.X32SyscallBit
		switch {
		case covered[arch.X86_64] && covered[arch.X32]:
			if x32 {
				abi = arch.X32
			}
		case covered[arch.X86_64]:
			if x32 && d.Nr != 0xffffffff {
				return badFn, noPaths, nil
			}
		case covered[arch.X32]:
			if !x32 {
				return badFn, noPaths, nil
			}
			abi = arch.X32
		default:
			return badFn, noPaths, nil
		}
	} else if !covered[abi] {
		return badFn, noPaths, nil
	}

	// The seccomp_rule_add calls that reach d.Nr on abi, in runc's order.
	wide := abi.Bits() == 64
	var db ruletree.DB
	for i, r := range p.Rules {
		if r.Action == p.Default {
			continue
		}
		act := treeAction(r.Action)
		for _, name := range r.Names {
			nr, direct := abi.SyscallNumber(name)
			direct = direct && nr == d.Nr
			m, mux := abi.Multiplexed(name)
			mux = mux && m.Nr == d.Nr
			if !direct && !mux {
				continue
			}
			for _, g := range treeGroups(r.Conds) {
				var err error
				if mux {
					err = db.Add(act, i, ruletree.MuxConds(g, m.Call), wide)
				} else {
					err = db.Add(act, i, g, wide)
				}
				if err != nil {
					return nil, nil, ruleError(abi, i, name, map[bool]string{true: m.Syscall, false: name}[mux], err)
				}
			}
		}
	}
	if err := db.Check(); err != nil {
		return nil, nil, fmt.Errorf("system call %d on %s: %w", d.Nr, abi, err)
	}
	paths = func() ([]Cond, error) {
		te, err := db.Entry(treeAction(p.Default), wide, false)
		if err != nil {
			return nil, err
		}
		var out []Cond
		for _, r := range te.Rules {
			for _, c := range r.Conds {
				out = append(out, Cond{Arg: c.Arg, Op: Op(c.Op), Value: c.Value, ValueTwo: c.ValueTwo})
			}
		}
		return out, nil
	}
	return func(args [6]uint64) Verdict {
		if !wide {
			for i := range args {
				args[i] &= 0xffffffff
			}
		}
		if a, o, ok := db.Eval(&args); ok {
			return Verdict{Action: fromTree(a), Rule: o}
		}
		return Verdict{Action: p.Default, Rule: DecidedByDefault}
	}, paths, nil
}
