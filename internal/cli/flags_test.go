package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestPIDFlags: every command's --pid takes a process ID and nothing
// else (pidVar), so that --pid -5, 0 or abc is a usage error that says
// what a process ID is, in every command, the ones added later too.
func TestPIDFlags(t *testing.T) {
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "pid" {
				return
			}
			n++
			if _, ok := f.Value.(pidValue); !ok {
				t.Errorf("%s --pid is a %T, want a pidValue (pidVar)", c.CommandPath(), f.Value)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(e))
	if n == 0 {
		t.Fatal("no command has a --pid flag")
	}
}
