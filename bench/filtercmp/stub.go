//go:build !(libseccomp && cgo && linux)

// Command filtercmp compares syscage's compiled filters with libseccomp's
// (see bench/README.md). It needs Linux, cgo and libseccomp-dev, and the
// libseccomp build tag:
//
//	go run -tags libseccomp ./bench/filtercmp
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "filtercmp: build with -tags libseccomp on Linux with cgo and libseccomp-dev: go run -tags libseccomp ./bench/filtercmp")
	os.Exit(2)
}
