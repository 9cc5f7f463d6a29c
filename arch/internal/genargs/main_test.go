package main

import (
	"strings"
	"testing"

	"github.com/syscage/syscage/arch/internal/gencmd"
)

// TestGeneratedArgsUpToDate regenerates the argument table from the
// committed input and fails if the committed zargs.go differs in any byte.
func TestGeneratedArgsUpToDate(t *testing.T) {
	if err := gencmd.UpToDate(generate, "../../data/syscall_args.txt", "../../zargs.go", "arch/zargs.go"); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateArgsRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"no release":   "read(unsigned int fd)\n",
		"unknown type": "# release Linux v1\nread(frob_t fd)\n",
		"no name":      "# release Linux v1\nread(int)\n",
		"twice":        "# release Linux v1\nread(int fd)\nread(int fd)\n",
		"seven":        "# release Linux v1\nx(int a, int b, int c, int d, int e, int f, int g)\n",
		"syntax":       "# release Linux v1\nread int fd\n",
	} {
		if _, err := generate(strings.NewReader(in)); err == nil {
			t.Errorf("%s: generate accepted %q", name, in)
		}
	}
}
