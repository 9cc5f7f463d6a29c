package errs_test

import (
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
