package inspect

import (
	"errors"
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
