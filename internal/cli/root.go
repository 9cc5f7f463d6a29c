// Package cli is syscage's command tree. Each command lives in its own file,
// maps flags to an options struct of a library package, and maps library
// errors to exit codes. The work itself lives in the library packages.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/launch"
)

// Exit codes shared by every command. They follow the docker/env
// convention so that scripts can tell syscage's own failures from the
// target's.
const (
	ExitOK       = 0   // success
	ExitFinding  = 1   // the command worked and found something: an unknown name, a difference, a lint finding
	ExitUsage    = 2   // bad flags or arguments
	ExitFailure  = 125 // syscage itself failed (bad profile, filter could not be built or installed)
	ExitNoExec   = 126 // the target exists but cannot be executed
	ExitNotFound = 127 // the target was not found
)

// Version is set at build time with -ldflags "-X github.com/syscage/syscage/internal/cli.Version=...";
// without, --version prints the module version and the VCS revision from
// the build info (see version).
var Version = "devel"

// exitError carries an exit code through cobra. Message may be empty when
// the command already printed what the user needs.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that Main exits with code. A usage error (a bad
// flag value, such as an unknown --arch) keeps exit code 2 whatever code
// the command gives its failures.
func withCode(code int, err error) error {
	if isUsageError(err) {
		code = ExitUsage
	}
	return &exitError{code: code, err: err}
}

// silentExit makes Main exit with code without printing anything more.
func silentExit(code int) error { return &exitError{code: code} }

// env is what every command gets: its streams.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// Main runs syscage with args (without the program name) and returns the
// process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == launch.StageArg {
		launch.RunStage(args[1:]) // syscage run's child: does not return
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	setProfiles(stdin, stderr)
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "syscage: %v\n", ee.err)
		}
		return ee.code
	}
	// Errors cobra produces itself (unknown flag, wrong argument count)
	// and anything a command returned unwrapped.
	fmt.Fprintf(stderr, "syscage: %v\n", err)
	if isUsageError(err) || strings.HasPrefix(err.Error(), "unknown command ") {
		path := "syscage"
		if cmd != nil && cmd != root {
			path = cmd.CommandPath()
			fmt.Fprintf(stderr, "Usage: %s\n", cmd.UseLine())
		}
		fmt.Fprintf(stderr, "Run '%s --help' for the flags and examples.\n", path)
		return ExitUsage
	}
	return ExitFailure
}

type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// usagef reports a misuse of a command's flags or arguments (exit 2).
func usagef(format string, a ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, a...))
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "syscage",
		Short: "Discover, write, compile, enforce and inspect Linux seccomp filters",
		Long: `syscage covers the whole life of a Linux seccomp policy: resolve syscall
names on every architecture, compile profiles to classic BPF, inspect and
emulate filters, and probe what the running kernel supports.

Exit codes:
  0    success
  1    the command worked and found something (an unknown name, a difference)
  2    bad flags or arguments
  125  syscage itself failed (bad profile, filter could not be built)
  126  the target exists but cannot be executed
  127  the target was not found`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	root.SetVersionTemplate("syscage {{.Version}}\n")
	root.AddCommand(
		newAnalyzeCmd(e),
		newCheckCmd(e),
		newAsmCmd(e),
		newCompileCmd(e),
		newConvertCmd(e),
		newDiffCmd(e),
		newDisasmCmd(e),
		newDumpCmd(e),
		newEmuCmd(e),
		newExplainCmd(e),
		newFeaturesCmd(e),
		newGroupsCmd(e),
		newImportCmd(e),
		newLintCmd(e),
		newMergeCmd(e),
		newProfileCmd(e),
		newRecordCmd(e),
		newRecordHelperCmd(e),
		newResolveCmd(e),
		newRunCmd(e),
		newVerifyCmd(e),
		newWatchCmd(e),
		newWhyCmd(e),
	)
	completeProfiles(root)
	return root
}

// cmdArgs wraps a cobra positional-argument validator so its errors are
// usage errors (exit 2).
func cmdArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := v(c, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
