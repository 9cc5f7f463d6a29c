package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGeneratedArgsUpToDate regenerates the argument table from the
// committed input and fails if the committed zargs.go differs in any byte.
func TestGeneratedArgsUpToDate(t *testing.T) {
	data, err := os.ReadFile("../../data/syscall_args.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../zargs.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("arch/zargs.go is stale: run 'go generate ./arch' and commit the result")
	}
	second, _ := generate(bytes.NewReader(data))
	if !bytes.Equal(got, second) {
		t.Fatal("the generator is not deterministic")
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
