package containers

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/inspect"
)

func TestResultLine(t *testing.T) {
	c := Container{ID: "web", Runtime: "runc", Pid: 42}
	var many []inspect.Difference
	for nr := range uint32(14) {
		many = append(many, inspect.Difference{Arch: arch.X86_64, Nr: 1000 + nr})
	}
	for _, tc := range []struct {
		name string
		r    Result
		want string
	}{
		{"match", Result{Container: c, Status: Match, Processes: []int{42}}, "web: match (runc, pid 42, 1 process)"},
		{"stopped", Result{Container: c, Status: Stopped}, "web: stopped (runc)"},
		{"error", Result{Container: c, Status: Failed, Processes: []int{42, 43}, Error: "no config.json"}, "web: error (runc, pid 42, 2 processes): no config.json"},
		{"unread", Result{Container: c, Status: Failed, Unread: []string{"thread 43: did not stop", "thread 44: gone"}}, "web: error (runc, pid 42): threads unread: thread 43: did not stop; thread 44: gone"},
		{"unfiltered as asked", Result{Container: c, Status: Unfiltered}, "web: unfiltered, as its config.json asks (runc, pid 42)"},
		{"one thread unfiltered", Result{Container: c, Status: Unfiltered, Seccomp: true, Groups: []Group{{TIDs: []int{42}, Filters: []Loaded{{}}}, {TIDs: []int{43}}}},
			"web: unfiltered: thread 43 runs without a filter, config.json asks for one (runc, pid 42)"},
		{"threads unfiltered", Result{Container: c, Status: Unfiltered, Seccomp: true, Groups: []Group{{TIDs: []int{42, 43}}}},
			"web: unfiltered: threads 42, 43 run without a filter, config.json asks for one (runc, pid 42)"},
		{"unproven", Result{Container: c, Status: Unproven, Groups: []Group{{}, {Unproven: "instruction 3"}}}, "web: cannot prove a match: instruction 3 (runc, pid 42)"},
		{"differs", Result{Container: c, Status: Differs, Groups: []Group{
			{Differences: []inspect.Difference{{Arch: arch.X86_64, Syscall: "uname", Nr: 63}, {Arch: arch.Invalid}}},
			{Differences: []inspect.Difference{{Arch: arch.X86_64, Syscall: "uname", Nr: 63}, {Arch: arch.X86, Nr: 999}}}}},
			"web: differs from its config.json on x86_64 uname, unknown-arch 0, x86 999 (runc, pid 42)"},
		{"differs on many", Result{Container: c, Status: Differs, Groups: []Group{{Differences: many}}},
			"web: differs from its config.json on x86_64 1000, x86_64 1001, x86_64 1002, x86_64 1003, x86_64 1004, x86_64 1005, x86_64 1006, x86_64 1007, x86_64 1008, x86_64 1009, x86_64 1010, x86_64 1011 and 2 more (runc, pid 42)"},
	} {
		if got := tc.r.Line(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestRuntimeLibseccomp(t *testing.T) {
	runc := func(out string, err error) func(context.Context, string, ...string) ([]byte, error) {
		return func(_ context.Context, name string, args ...string) ([]byte, error) {
			if name != "runc" || fmt.Sprint(args) != "[--version]" {
				t.Errorf("ran %s %v, want runc --version", name, args)
			}
			return []byte(out), err
		}
	}
	known, err := Libseccomp("2.5.4")
	if err != nil || len(known) == 0 {
		t.Fatalf("Libseccomp(2.5.4): %d ABIs, %v", len(known), err)
	}
	for _, tc := range []struct {
		name, version string
		run           func(context.Context, string, ...string) ([]byte, error)
		lacks         bool
		err           string
	}{
		{"none", "none", nil, false, ""},
		{"a version", "2.5.4", nil, true, ""},
		{"an unknown version", "2.4.0", nil, false, `libseccomp "2.4.0": unknown version (known: 2.5.4)`},
		{"auto", "auto", runc("runc version 1.1.12\ncommit: v1.1.12-0-g51d5e94\nspec: 1.0.2-dev\ngo: go1.20.13\nlibseccomp: 2.5.4\n", nil), true, ""},
		{"auto, runc without libseccomp", "auto", runc("runc version 1.1.12\n", nil), false, ""},
		{"auto, no runc", "auto", runc("", errors.New("not found")), false, ""},
		{"auto, an unknown version", "auto", runc("libseccomp: 2.6.0\n", nil), false, `runc --version: libseccomp "2.6.0": unknown version (known: 2.5.4)`},
	} {
		l, err := RuntimeLibseccomp(context.Background(), tc.version, tc.run)
		if fmt.Sprint(err) != tc.err && (err != nil || tc.err != "") {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
		if (len(l) > 0) != tc.lacks || tc.lacks && len(l) != len(known) {
			t.Errorf("%s: lacks on %d ABIs, want %v", tc.name, len(l), tc.lacks)
		}
	}
}
