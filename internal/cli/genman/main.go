// Command genman writes syscage's man pages, generated from its commands,
// to the directory it is given (go generate runs it for man/).
package main

import (
	"fmt"
	"os"

	"github.com/syscage/syscage/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genman DIR")
		os.Exit(2)
	}
	if err := cli.WriteManPages(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "genman: %v\n", err)
		os.Exit(1)
	}
}
