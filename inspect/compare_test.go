package inspect_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/seccomp"
)

func compile(t testing.TB, p *profile.Profile, host arch.Arch, o seccomp.Options) inspect.Stack {
	t.Helper()
	f, err := seccomp.Compile(p, host, o)
	if err != nil {
		t.Fatal(err)
	}
	return inspect.Stack{f.Program}
}

// diffNames lists the differences as "arch name".
func diffNames(ds []inspect.Difference) []string {
	var out []string
	for _, d := range ds {
		name := d.Syscall
		if name == "" {
			name = fmt.Sprintf("#%d", d.Nr)
		}
		out = append(out, d.Arch.String()+" "+name)
	}
	return out
}

// TestCompareSame: a filter against itself, and against the unoptimized
// program of the same profile (different bytes, same meaning), has no
// difference.
func TestCompareSame(t *testing.T) {
	for _, host := range []arch.Arch{arch.X86_64, arch.AARCH64, arch.S390X} {
		p := proftest.DockerDefault(host)
		opt := compile(t, p, host, seccomp.Options{})
		plain := compile(t, p, host, seccomp.Options{NoOptimize: true})
		if slices.Equal(opt[0], plain[0]) {
			t.Fatalf("%s: the optimizer changed nothing; the test needs two different programs", host)
		}
		for name, other := range map[string]inspect.Stack{"itself": opt, "unoptimized": plain} {
			ds, st, err := inspect.Compare(opt, other, inspect.CompareOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 0 {
				t.Errorf("%s against %s: %d differences: %v", host, name, len(ds), diffNames(ds))
			}
			if st.Arches != len(arch.All())+1 || st.Syscalls < 10000 {
				t.Errorf("%s: compared only %+v", host, st)
			}
		}
	}
}

// TestCompareOneRule: docker-default against a copy with one rule
// changed reports exactly that rule's system calls, on every ABI the
// filter covers.
func TestCompareOneRule(t *testing.T) {
	host := arch.X86_64
	p := proftest.DockerDefault(host)
	q := p.Clone()
	// Take uname out of the big allow rule: the default (ERRNO) decides it.
	for i, r := range q.Rules {
		if j := slices.Index(r.Names, "uname"); j >= 0 && r.Action.Kind == profile.ActAllow && len(r.Conds) == 0 {
			q.Rules[i].Names = slices.Delete(slices.Clone(r.Names), j, j+1)
		}
	}
	ds, _, err := inspect.Compare(compile(t, p, host, seccomp.Options{}), compile(t, q, host, seccomp.Options{}), inspect.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"x86 uname", "x86_64 uname", "x32 uname"}
	if got := diffNames(ds); !slices.Equal(got, want) {
		t.Fatalf("differences %v, want %v", got, want)
	}
	for _, d := range ds {
		if d.ArgsMatter || d.Examples[0].A != seccomp.SECCOMP_RET_ALLOW || d.Examples[0].B != seccomp.SECCOMP_RET_ERRNO|1 {
			t.Errorf("%s %s: %+v", d.Arch, d.Syscall, d)
		}
	}
}

// TestCompareArguments: an argument value changed in one rule is found,
// with the values where the verdicts change; so is a rule on two
// arguments at once.
func TestCompareArguments(t *testing.T) {
	host := arch.X86_64
	p := proftest.DockerDefault(host)
	q := p.Clone()
	changed := false
	for i, r := range q.Rules {
		if slices.Equal(r.Names, []string{"personality"}) && len(r.Conds) == 1 && r.Conds[0].Value == 0x8 {
			q.Rules[i].Conds = []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 0x9}}
			changed = true
		}
	}
	if !changed {
		t.Fatal("docker-default has no personality(0x8) rule")
	}
	ds, _, err := inspect.Compare(compile(t, p, host, seccomp.Options{}), compile(t, q, host, seccomp.Options{}), inspect.CompareOptions{MaxExamples: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := diffNames(ds), []string{"x86 personality", "x86_64 personality", "x32 personality"}; !slices.Equal(got, want) {
		t.Fatalf("differences %v, want %v", got, want)
	}
	for _, d := range ds {
		var args []uint64
		for _, e := range d.Examples {
			args = append(args, e.Data.Args[0])
		}
		if !d.ArgsMatter || !slices.Contains(args, 8) || !slices.Contains(args, 9) || d.Differing != 2 {
			t.Errorf("%s personality: %d of %d inputs differ, arg0 %#x", d.Arch, d.Differing, d.Inputs, args)
		}
	}

	// socket(2, 1): both arguments must hold.
	two := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Rules: []profile.Rule{{
		Names: []string{"socket"}, Action: profile.Action{Kind: profile.ActAllow},
		Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 2}, {Arg: 1, Op: profile.OpMaskedEQ, Value: 0xff, ValueTwo: 1}}}}}
	// A rule with the default action still counts for runc's ENOSYS
	// stub, so both filters answer ENOSYS from the same number on.
	none := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Rules: []profile.Rule{{
		Names: []string{"socket"}, Action: profile.Action{Kind: profile.ActErrno, Data: 1}}}}
	ds, _, err = inspect.Compare(compile(t, two, host, seccomp.Options{}), compile(t, none, host, seccomp.Options{}), inspect.CompareOptions{Arches: []arch.Arch{host}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Syscall != "socket" || ds[0].Examples[0].Data.Args[0] != 2 || ds[0].Examples[0].Data.Args[1]&0xff != 1 {
		t.Fatalf("differences %+v", ds)
	}
}

// TestStackPrecedence: of two stacked filters the kernel keeps the action
// of highest precedence; a stack compares equal to the one filter that
// means the same.
func TestStackPrecedence(t *testing.T) {
	host := arch.X86_64
	ret := func(k uint32) bpf.Program { return bpf.Program{{Op: bpf.BPF_RET | bpf.BPF_K, K: k}} }
	for _, tc := range []struct {
		stack inspect.Stack
		want  uint32
	}{
		{inspect.Stack{ret(seccomp.SECCOMP_RET_ALLOW), ret(seccomp.SECCOMP_RET_ERRNO | 5)}, seccomp.SECCOMP_RET_ERRNO | 5},
		{inspect.Stack{ret(seccomp.SECCOMP_RET_KILL_PROCESS), ret(seccomp.SECCOMP_RET_LOG)}, seccomp.SECCOMP_RET_KILL_PROCESS},
		{inspect.Stack{ret(seccomp.SECCOMP_RET_ERRNO | 1), ret(seccomp.SECCOMP_RET_ERRNO | 2)}, seccomp.SECCOMP_RET_ERRNO | 2}, // the newest of equals
		{inspect.Stack{ret(seccomp.SECCOMP_RET_TRACE), ret(seccomp.SECCOMP_RET_KILL_THREAD)}, seccomp.SECCOMP_RET_KILL_THREAD},
		{inspect.Stack{}, seccomp.SECCOMP_RET_ALLOW},
	} {
		got, err := tc.stack.Eval(host.ByteOrder(), seccomp.DataFor(host, 0))
		if err != nil || got != tc.want {
			t.Errorf("%v: %#x, %v; want %#x", tc.stack, got, err, tc.want)
		}
	}
	p := proftest.DockerDefault(host)
	f := compile(t, p, host, seccomp.Options{})
	stacked := inspect.Stack{ret(seccomp.SECCOMP_RET_ALLOW), f[0], ret(seccomp.SECCOMP_RET_LOG)}
	// LOG on top of the profile turns its ALLOWs into LOG: everything the
	// profile allows differs, nothing else.
	ds, _, err := inspect.Compare(f, stacked, inspect.CompareOptions{Arches: []arch.Arch{host}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Examples[0].A != seccomp.SECCOMP_RET_ALLOW || d.Examples[0].B != seccomp.SECCOMP_RET_LOG {
			t.Errorf("%s: %#x vs %#x", d.Syscall, d.Examples[0].A, d.Examples[0].B)
		}
	}
	if len(ds) < 300 {
		t.Errorf("only %d differences", len(ds))
	}
}
