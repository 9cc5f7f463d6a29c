package strace

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// FuzzRead: no panic; every skipped line is a *profile.SyntaxError
// naming a line of the input, at most MaxSkipped of them and then a
// count.
func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile("testdata/mixed.txt"); err == nil {
		f.Add(string(b))
	}
	f.Add("[pid 1] [ Process PID=1 runs in x32 mode. ]\n[pid 1] read(0, \"\", 1) = 0\n")
	f.Add("% time     seconds  usecs/call     calls    errors syscall\n------\n 1.0 0.1 1 1 0 read\n")
	f.Fuzz(func(t *testing.T, in string) {
		rec := record.New(arch.X86_64)
		skipped, err := Read(rec, "in", strings.NewReader(in))
		if err != nil {
			return
		}
		lines := strings.Count(in, "\n") + 1
		for i, e := range skipped {
			var more *MoreSkipped
			if i == MaxSkipped && i == len(skipped)-1 && errors.As(e, &more) && more.N > 0 {
				continue
			}
			var se *profile.SyntaxError
			if !errors.As(e, &se) || se.Line < 1 || se.Line > lines {
				t.Fatalf("skipped %v (%T), input has %d lines", e, e, lines)
			}
		}
	})
}
