package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/analyze"
)

type analyzeOptions struct {
	json    bool
	noCache bool
	libPath []string
	ldCache string
}

func newAnalyzeCmd(e *env) *cobra.Command {
	var o analyzeOptions
	c := &cobra.Command{
		Use:   "analyze [--json] BINARY",
		Short: "List the system calls a program's code can make, by static analysis",
		Long: `Analyze reads an ELF program (x86_64 or aarch64: dynamically or statically linked C or
C++, or Go) and the libraries it loads, and lists every system call its
code can make, each with where it comes from: the program's own function,
or the library export that reaches it. It disassembles the code, follows
the numbers loaded into the system-call register (also through wrappers
such as libc's syscall()), and follows calls: direct ones, through the
PLT into the libraries the loader would load, and, for a call through a
pointer, to every function whose address the code takes. Library models
are cached by build ID (in the user cache directory, --no-cache not to).
Libraries are found as the loader finds them (RUNPATH, /etc/ld.so.cache);
--library-path searches directories first, as LD_LIBRARY_PATH does: the
libraries of another architecture (/usr/aarch64-linux-gnu/lib) or of a
container's root.

The list is a superset of what any run can do (recording sees a subset);
what the analysis cannot follow (a number computed at run time, dlopen, a
library not found) is listed as unresolved on stderr, never dropped.`,
		Example: `  syscage analyze /usr/bin/ls
  syscage analyze --json ./server | jq -r '.calls[].name'
  syscage analyze --library-path /usr/aarch64-linux-gnu/lib ./server-arm64`,
		Args: cmdArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runAnalyze(e, o, args[0])
		},
	}
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	c.Flags().BoolVar(&o.noCache, "no-cache", false, "do not read or write cached library models")
	c.Flags().StringArrayVar(&o.libPath, "library-path", nil, "search `DIR` for libraries (and the dynamic loader) first, as LD_LIBRARY_PATH (repeatable; DIR:DIR... too)")
	c.Flags().StringVar(&o.ldCache, "ld-cache", "", "the loader's cache `FILE` (default: /etc/ld.so.cache)")
	return c
}

func runAnalyze(e *env, o analyzeOptions, path string) error {
	ao := analyze.Options{LDCache: o.ldCache}
	var err error
	if ao.LibraryPath, err = analyze.ParseLibraryPath(o.libPath...); err != nil {
		return usagef("--library-path %v", err)
	}
	if o.ldCache != "" {
		if _, err := os.Stat(o.ldCache); err != nil {
			return usagef("--ld-cache: %v", err)
		}
	}
	if dir, err := os.UserCacheDir(); err == nil && !o.noCache {
		ao.CacheDir = filepath.Join(dir, "syscage", "analyze")
	}
	r, err := analyze.Analyze(path, ao)
	if err != nil {
		if errors.Is(err, analyze.ErrNotAnalysable) {
			err = fmt.Errorf("%w; record the program instead (syscage record)", err)
		}
		return withCode(ExitFailure, err)
	}
	if o.json {
		return writeJSON(e.stdout, r)
	}
	fmt.Fprint(e.stdout, r.Text())
	for _, u := range r.Unresolved {
		fmt.Fprintf(e.stderr, "syscage: unresolved: %s\n", u)
	}
	return nil
}
