// Command syscage discovers, writes, compiles, enforces and inspects Linux
// seccomp filters. See the README and 'syscage --help'.
package main

import (
	"os"

	"github.com/syscage/syscage/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
