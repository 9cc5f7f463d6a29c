// Package gencmd is what the generators of package arch's tables share:
// their command line and the check that the committed output is what
// they generate.
package gencmd

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
)

// Generate makes a generated file from its input; the output must depend
// on the input only.
type Generate func(io.Reader) ([]byte, error)

// Main is the main function of the generator name: it writes what gen
// makes of the file named by -in (default in) to the file named by -out
// (default out); on an error it prints it and exits with status 1.
func Main(name string, gen Generate, in, out string) {
	inFlag := flag.String("in", in, "input file")
	outFlag := flag.String("out", out, "output Go file")
	flag.Parse()
	if err := run(gen, *inFlag, *outFlag); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(gen Generate, in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	src, err := gen(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, src, 0o644)
}

// UpToDate regenerates the committed file out from the committed input in
// twice and reports an error unless both equal out in every byte; name is
// out as the error names it (arch/zsyscalls.go).
func UpToDate(gen Generate, in, out, name string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	got, err := gen(bytes.NewReader(data))
	if err != nil {
		return err
	}
	want, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s is stale: run 'go generate ./arch' and commit the result", name)
	}
	second, err := gen(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if !bytes.Equal(got, second) {
		return fmt.Errorf("the generator of %s is not deterministic", name)
	}
	return nil
}
