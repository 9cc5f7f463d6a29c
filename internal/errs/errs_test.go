package errs_test

import (
	"errors"
	"testing"

	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/record"
	recebpf "github.com/syscage/syscage/record/ebpf"
	"github.com/syscage/syscage/seccomp"
)

// Every package that re-exports a category returns the one error, so a
// caller's errors.Is matches whatever package it names.
func TestOneDefinition(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want error
	}{
		{"seccomp.ErrNotSupported", seccomp.ErrNotSupported, errs.ErrNotSupported},
		{"audit.ErrNotSupported", audit.ErrNotSupported, errs.ErrNotSupported},
		{"inspect.ErrNotSupported", inspect.ErrNotSupported, errs.ErrNotSupported},
		{"record.ErrNotSupported", record.ErrNotSupported, errs.ErrNotSupported},
		{"record/ebpf.ErrNotSupported", recebpf.ErrNotSupported, errs.ErrNotSupported},
		{"launch.ErrNotFound", launch.ErrNotFound, errs.ErrNotFound},
		{"record.ErrNotFound", record.ErrNotFound, errs.ErrNotFound},
		{"launch.ErrNoExec", launch.ErrNoExec, errs.ErrNoExec},
		{"record.ErrNoExec", record.ErrNoExec, errs.ErrNoExec},
	} {
		if c.got != c.want {
			t.Errorf("%s is %p (%v), want the shared %p (%v)", c.name, c.got, c.got, c.want, c.want)
		}
	}
}

func TestFirstSkipped(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	more := &errs.MoreSkipped{N: 7}
	for _, tc := range []struct {
		list  []error
		max   int
		shown int
		count int
	}{
		{nil, 10, 0, 0},
		{[]error{a, b, c}, 10, 3, 3},
		{[]error{a, b, c}, 2, 2, 3},
		{[]error{a, b, more}, 10, 2, 9},
		{[]error{a, more}, 1, 1, 8},
	} {
		got := errs.FirstSkipped(tc.list, tc.max)
		if len(got) != tc.shown || errs.CountSkipped(tc.list) != tc.count {
			t.Errorf("errs.FirstSkipped(%v, %d) = %v (count %d), want %d shown of %d", tc.list, tc.max, got, errs.CountSkipped(tc.list), tc.shown, tc.count)
		}
		for _, err := range got {
			if err == more {
				t.Errorf("errs.FirstSkipped(%v, %d) shows the count %v", tc.list, tc.max, err)
			}
		}
	}
}
