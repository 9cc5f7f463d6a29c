package record

import (
	"fmt"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

func TestRecordingProfile(t *testing.T) {
	r := New(arch.X86_64)
	nr := func(a arch.Arch, n string) uint32 {
		v, ok := a.SyscallNumber(n)
		if !ok {
			t.Fatalf("%s has no %s", a, n)
		}
		return v
	}
	r.Add(arch.X86_64, nr(arch.X86_64, "read"), &[6]uint64{3}, true)
	r.Add(arch.X86_64, nr(arch.X86_64, "socket"), &[6]uint64{1, 0x80001}, true)
	r.Add(arch.X86_64, nr(arch.X86_64, "socket"), &[6]uint64{1, 0x80001, 7}, true) // same checked values
	r.Add(arch.X86_64, nr(arch.X86_64, "socket"), &[6]uint64{10, 2}, true)
	for i := uint64(0); i <= MaxValues; i++ { // one value too many: any value
		r.Add(arch.X86_64, nr(arch.X86_64, "ioctl"), &[6]uint64{1, i}, true)
	}
	r.Add(arch.X86, 102, &[6]uint64{3, 0xffd0}, true)                     // socketcall(SYS_CONNECT, ptr)
	r.Add(arch.X86, 117, &[6]uint64{1<<16 | 23}, true)                    // ipc(SHMGET with version 1)
	r.Add(arch.X32, arch.X32SyscallBit|nr(arch.X32, "getpid"), nil, true) // x32 numbers carry the bit
	r.Add(arch.X86_64, 5000, nil, false)

	p := r.Profile(ProfileOptions{})
	if p.Default != (profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}) {
		t.Errorf("default %v", p.Default)
	}
	if len(p.Arches) != 3 || p.Arches[0] != arch.X86_64 {
		t.Errorf("arches %v, want x86_64 first, then x86 and x32", p.Arches)
	}
	if len(r.Unknown) != 1 || r.Unknown[0] != "x86_64:5000" {
		t.Errorf("unknown %v", r.Unknown)
	}
	// read has no checked argument; ioctl overflowed; connect and shmget
	// come from the multiplexers.
	want := "connect getpid ioctl read shmget"
	var got string
	var socketRules int
	for _, rule := range p.Rules {
		if rule.Action.Kind != profile.ActAllow {
			if got := strings.Join(rule.Names, " "); got != "clone3 close_range faccessat2 fchmodat2 openat2 statx" || rule.Action.Data != 38 {
				t.Errorf("rule %s %v, want ERRNO(ENOSYS) for the calls glibc falls back from", got, rule.Action)
			}
			continue
		}
		if len(rule.Conds) == 0 {
			for i, n := range rule.Names {
				if i > 0 {
					got += " "
				}
				got += n
			}
			continue
		}
		if rule.Names[0] != "socket" || len(rule.Conds) != 2 {
			t.Errorf("unexpected argument rule %+v", rule)
		}
		socketRules++
	}
	if got != want {
		t.Errorf("unconditional names %q, want %q", got, want)
	}
	if socketRules != 2 {
		t.Errorf("%d socket rules, want 2 (one per family and type seen)", socketRules)
	}
	// The profile allows what was recorded and denies the rest.
	for _, c := range []struct {
		name string
		args [6]uint64
		want profile.ActionKind
	}{
		{"socket", [6]uint64{1, 0x80001}, profile.ActAllow},
		{"socket", [6]uint64{10, 2}, profile.ActAllow},
		{"socket", [6]uint64{2, 1}, profile.ActErrno},
		{"ioctl", [6]uint64{9, 0x5401}, profile.ActAllow},
		{"write", [6]uint64{}, profile.ActErrno},
	} {
		a, err := profile.Evaluate(p, arch.X86_64, profile.Data{Nr: nr(arch.X86_64, c.name), Arch: arch.X86_64.Audit(), Args: c.args})
		if err != nil || a.Kind != c.want {
			t.Errorf("%s%v: %v %v, want %v", c.name, c.args[:2], a, err, c.want)
		}
	}
}

func TestAddCount(t *testing.T) {
	r := New(arch.X86_64)
	read, _ := arch.X86_64.SyscallNumber("read")
	r.AddCount(arch.X86_64, read, 5)
	r.AddCount(arch.X86_64, read, 2)
	r.AddCount(arch.X86, 1, 0)
	r.AddCount(arch.X86_64, 999, 3)
	got := r.Calls()
	if len(got) != 1 || got[0].Name != "read" || got[0].Count != 7 || got[0].Values != nil {
		t.Errorf("calls %+v, want read 7 times with any arguments", got)
	}
	if len(r.Unknown) != 1 || r.Unknown[0] != "x86_64:999" {
		t.Errorf("unknown %v, want [x86_64:999]", r.Unknown)
	}
}

// TestAddValuesSubcall: value sets and sub-calls as an engine that
// collects them in the kernel reports them give what Add gives call by
// call.
func TestAddValuesSubcall(t *testing.T) {
	socket, _ := arch.X86_64.SyscallNumber("socket")
	prctl, _ := arch.X86_64.SyscallNumber("prctl")
	mmap2, _ := arch.X86.SyscallNumber("mmap2")
	byCall, bySet := New(arch.X86_64), New(arch.X86_64)
	byCall.Add(arch.X86_64, socket, &[6]uint64{1, 2}, true)
	byCall.Add(arch.X86_64, socket, &[6]uint64{2, 1}, true)
	byCall.Add(arch.X86_64, socket, &[6]uint64{2, 1}, true)
	bySet.AddValues(arch.X86_64, socket, 3, [][]uint64{{1, 2}, {2, 1}}, false)
	for i := range uint64(MaxValues + 1) {
		byCall.Add(arch.X86_64, prctl, &[6]uint64{i}, true)
	}
	bySet.AddValues(arch.X86_64, prctl, MaxValues+1, [][]uint64{{1}}, true)
	byCall.Add(arch.X86, mmap2, &[6]uint64{0, 0, 1<<32 | 3}, true)
	bySet.AddValues(arch.X86, mmap2, 1, [][]uint64{{1<<32 | 3}}, false) // a 32-bit ABI keeps the low half
	byCall.Add(arch.X86, 102, &[6]uint64{3}, true)
	byCall.Add(arch.X86, 102, &[6]uint64{99}, true)
	byCall.Add(arch.X86, 117, &[6]uint64{1<<16 | 23}, true)
	bySet.AddSubcall(arch.X86, "socketcall", 3, 1)
	bySet.AddSubcall(arch.X86, "socketcall", 99, 1)
	bySet.AddSubcall(arch.X86, "ipc", 1<<16|23, 1)
	got, want := fmt.Sprint(bySet.Calls()), fmt.Sprint(byCall.Calls())
	if got != want {
		t.Errorf("AddValues, AddSubcall:\n%s\nAdd:\n%s", got, want)
	}
}

func TestExitStatus(t *testing.T) {
	whole, partial := New(arch.X86_64), New(arch.X86_64)
	partial.AddLoss("events", 3)
	for _, c := range []struct {
		name string
		res  Result
		want int
	}{
		{"success", Result{Recording: whole}, 0},
		{"failure", Result{Recording: whole, ExitCode: 3}, 3},
		{"signal", Result{Recording: partial, ExitCode: -1, Signal: 11}, 139},
		{"success, partial", Result{Recording: partial}, 1},
		{"failure, partial", Result{Recording: partial, ExitCode: 3}, 3},
	} {
		if got := c.res.ExitStatus(); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if !partial.Partial || len(partial.Lost) != 1 || partial.Lost[0] != (Loss{"events", 3}) {
		t.Errorf("AddLoss: partial %v, lost %+v", partial.Partial, partial.Lost)
	}
	whole.AddLoss("events", 0)
	if whole.Partial || len(whole.Lost) != 1 {
		t.Errorf("AddLoss of 0: partial %v, lost %+v", whole.Partial, whole.Lost)
	}
}
