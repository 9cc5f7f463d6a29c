package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/syscage/syscage/bpf"
)

func TestVerifyTasks(t *testing.T) {
	asm := func(s string) bpf.Program {
		p, err := bpf.Assemble(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	allow := Filter{Program: asm("ret #0x7fff0000\n")}
	kill := Filter{Program: asm("ret #0\n")}
	want := Stack{allow.Program}
	for _, tc := range []struct {
		name  string
		tasks []Task
		want  []Verdict // Subject, Same, Unfiltered, Threads
		bad   int
	}{
		{"one group", []Task{{TID: 7, Filters: []Filter{allow}}, {TID: 8, Filters: []Filter{allow}}},
			[]Verdict{{Subject: "the 1 filter of pid 7", Same: true, Threads: 1}}, 0},
		{"threads apart", []Task{{TID: 7, Filters: []Filter{allow}}, {TID: 8, Filters: []Filter{kill}}, {TID: 9}},
			[]Verdict{{Subject: "the 1 filter of thread 7 of pid 7", Same: true, Threads: 1},
				{Subject: "the 1 filter of thread 8 of pid 7", Threads: 1},
				{Subject: "thread 9 of pid 7", Unfiltered: true, Threads: 1}}, 0},
		{"unfiltered", []Task{{TID: 7}, {TID: 8}}, []Verdict{{Subject: "pid 7", Unfiltered: true, Threads: 1}}, 0},
		{"unread", []Task{{TID: 7, Filters: []Filter{allow, allow}}, {TID: 8, Filters: []Filter{allow, allow}}, {TID: 9, Err: errors.New("stuck")}},
			[]Verdict{{Subject: "the 2 filters of threads 7, 8 of pid 7", Same: true, Threads: 2}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, unread, err := VerifyTasks(7, tc.tasks, want)
			if err != nil {
				t.Fatal(err)
			}
			if len(unread) != tc.bad || len(got) != len(tc.want) {
				t.Fatalf("%d verdicts, %d unread: %+v", len(got), len(unread), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Subject != w.Subject || g.Same != w.Same || g.Unfiltered != w.Unfiltered || g.Threads != w.Threads {
					t.Errorf("verdict %d: %q same %v unfiltered %v threads %d, want %q %v %v %d", i, g.Subject, g.Same, g.Unfiltered, g.Threads, w.Subject, w.Same, w.Unfiltered, w.Threads)
				}
				if !g.Same && !g.Unfiltered && len(g.Differences) == 0 {
					t.Errorf("verdict %d differs without differences", i)
				}
			}
		})
	}
}

func TestVerdictText(t *testing.T) {
	allow := Stack{prog(t, "ret #0x7fff0000\n")}
	deny := Stack{prog(t, "ld [0]\njeq #59, kill, ok\nkill: ret #0x50001\nok: ret #0x7fff0000\n")}
	two := Stack{allow[0], allow[0]}
	same, err := Verify("the 2 filters of pid 7", two, allow)
	if err != nil {
		t.Fatal(err)
	}
	same.Filters = 2
	differs, err := Verify("live", deny, allow)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v    Verdict
		want string
	}{
		{Verdict{Subject: "live", Differences: differs.Differences[:1]}, "live and p.json differ on 1 system call:\n"},
		{Verdict{Subject: "pid 7", Unfiltered: true, Threads: 1}, "pid 7 has no seccomp filter\n"},
		{Verdict{Subject: "threads 7, 8 of pid 7", Unfiltered: true, Threads: 2}, "threads 7, 8 of pid 7 have no seccomp filter\n"},
		{same, fmt.Sprintf("the 2 filters of pid 7 decide every system call as p.json does (%d ABIs, %d numbers, %d inputs)\n", same.Stats.Arches, same.Stats.Syscalls, same.Stats.Inputs)},
		{Verdict{Subject: "live", Unproven: "budget", Filters: 1}, "cannot prove that live decides every system call as p.json does: budget\n"},
		{differs, fmt.Sprintf("live and p.json differ on %d system calls:\n", len(differs.Differences))},
	} {
		var b strings.Builder
		tc.v.WriteText(&b, "p.json")
		if !strings.HasPrefix(b.String(), tc.want) {
			t.Errorf("%s: %q, want %q", tc.v.Subject, b.String(), tc.want)
		}
	}
	var b strings.Builder
	differs.Unproven = "budget"
	differs.WriteText(&b, "p.json")
	if !strings.Contains(b.String(), "execve(59): live ERRNO(1), profile ALLOW\n") || !strings.HasSuffix(b.String(), "\nand they may differ on more: cannot prove the rest: budget\n") {
		t.Errorf("differences:\n%s", b.String())
	}
}

func TestDiff(t *testing.T) {
	allow := Stack{prog(t, "ret #0x7fff0000\n")}
	deny := Stack{prog(t, "ld [0]\njeq #59, kill, ok\nkill: ret #0x50001\nok: ret #0x7fff0000\n")}
	c, err := Diff(allow, allow)
	if err != nil || !c.Same || c.Differences == nil || c.Stats == nil {
		t.Fatalf("Diff of one stack: %+v, %v", c, err)
	}
	var b strings.Builder
	c.WriteText(&b, "a", "b")
	if b.Len() != 0 {
		t.Errorf("text of the same stacks: %q", b.String())
	}
	c.Caveat("for one kernel only")
	if c.Same || c.Unproven != "for one kernel only" {
		t.Errorf("after a caveat: %+v", c)
	}
	c.Caveat("another")
	if c.Unproven != "for one kernel only" {
		t.Errorf("a second caveat replaced the first: %q", c.Unproven)
	}
	c.WriteText(&b, "a", "b")
	if b.String() != "A: a\nB: b\ncannot prove A and B equal: for one kernel only\n" {
		t.Errorf("text of an unproven comparison: %q", b.String())
	}

	c, err = Diff(allow, deny)
	if err != nil || c.Same || len(c.Differences) == 0 {
		t.Fatalf("Diff of different stacks: %+v, %v", c, err)
	}
	c.Caveat("")
	if c.Unproven != "" {
		t.Errorf("an empty caveat: %q", c.Unproven)
	}
	b.Reset()
	c.WriteText(&b, "a", "b")
	if !strings.HasPrefix(b.String(), "A: a\nB: b\n") || !strings.Contains(b.String(), "execve(59): A ALLOW, B ERRNO(1)\n") {
		t.Errorf("text of different stacks:\n%s", b.String())
	}
}

func TestVerdicts(t *testing.T) {
	a := Verdict{Subject: "thread 7 of pid 7", Unfiltered: true, Differences: []Difference{}, Threads: 1}
	b := Verdict{Subject: "thread 8 of pid 7", Same: true, Differences: []Difference{}, Stats: &Stats{Arches: 1, Syscalls: 2, Inputs: 3}, Filters: 1}
	for _, tc := range []struct {
		vs         Verdicts
		same       bool
		json, text string
	}{
		{nil, true, "null", ""},
		{Verdicts{b}, true, `{"subject":"thread 8 of pid 7","same":true,"differences":[],"compared":{"abis":1,"numbers":2,"inputs":3}}`,
			"thread 8 of pid 7 decides every system call as p does (1 ABIs, 2 numbers, 3 inputs)\n"},
		{Verdicts{a, b}, false, `[{"subject":"thread 7 of pid 7","same":false,"unfiltered":true,"differences":[]},{"subject":"thread 8 of pid 7","same":true,"differences":[],"compared":{"abis":1,"numbers":2,"inputs":3}}]`,
			"thread 7 of pid 7 has no seccomp filter\n\nthread 8 of pid 7 decides every system call as p does (1 ABIs, 2 numbers, 3 inputs)\n"},
	} {
		j, err := json.Marshal(tc.vs)
		var b strings.Builder
		tc.vs.WriteText(&b, "p")
		if err != nil || string(j) != tc.json || b.String() != tc.text || tc.vs.Same() != tc.same {
			t.Errorf("%d verdicts: JSON %s (%v), text %q, same %v", len(tc.vs), j, err, b.String(), tc.vs.Same())
		}
	}
}
