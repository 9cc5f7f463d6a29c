package record_test

import (
	"syscall"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
)

func TestResultString(t *testing.T) {
	partial := record.New(arch.X86_64)
	partial.Partial = true
	for _, tc := range []struct {
		r      record.Result
		want   string
		status int
	}{
		{record.Result{ExitCode: 0}, "", 0},
		{record.Result{ExitCode: 3}, "exited with status 3", 3},
		{record.Result{ExitCode: -1, Signal: syscall.SIGTERM}, "was killed by SIGTERM", 143},
		{record.Result{ExitCode: 0, Recording: partial}, "", 1},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v: String %q, want %q", tc.r, got, tc.want)
		}
		if got := tc.r.ExitStatus(); got != tc.status {
			t.Errorf("%+v: ExitStatus %d, want %d", tc.r, got, tc.status)
		}
	}
}
