// Package hook runs a shell command for each event of a stream, as
// syscage watch --exec does: checked once before the first event, then
// run with "sh -c", the event on its standard input.
package hook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Run runs hook with /bin/sh -c, stdin on its standard input, env added
// to this process's environment, and waits for it.
func Run(hook string, stdin []byte, env []string, stdout, stderr io.Writer) error {
	cmd := exec.Command("/bin/sh", "-c", hook)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), env...)
	return cmd.Run()
}

// Check finds, before the hook is first run, the mistakes that would
// otherwise show only then: a shell syntax error, and a program (the
// hook's first word, when it is a plain one) that is missing or cannot
// be executed.
func Check(hook string) error {
	if b, err := exec.Command("/bin/sh", "-n", "-c", hook).CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(b))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("not a valid shell command: %s", msg)
	}
	for _, w := range strings.Fields(hook) {
		if strings.ContainsAny(w, "$`'\"\\;&|<>(){}*?[]~#") {
			return nil // expanded or quoted by the shell: cannot be told here
		}
		if k, _, ok := strings.Cut(w, "="); ok && k != "" {
			continue // an assignment before the command
		}
		if shellBuiltins[w] {
			return nil
		}
		path, err := exec.LookPath(w)
		if err != nil {
			var ee *exec.Error
			if errors.As(err, &ee) {
				err = ee.Err
			}
			if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("%s: no such program", w)
			}
			return fmt.Errorf("%s: cannot be executed: %v", w, err)
		}
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory", w)
		}
		return nil
	}
	return nil
}

// shellBuiltins are the POSIX shell's keywords and special and regular
// built-ins, which no PATH lookup finds.
var shellBuiltins = map[string]bool{
	"!": true, "{": true, "}": true, "case": true, "do": true, "done": true, "elif": true, "else": true,
	"esac": true, "fi": true, "for": true, "if": true, "in": true, "then": true, "until": true, "while": true,
	":": true, ".": true, "break": true, "continue": true, "eval": true, "exec": true, "exit": true,
	"export": true, "readonly": true, "return": true, "set": true, "shift": true, "times": true, "trap": true,
	"unset": true, "alias": true, "bg": true, "cd": true, "command": true, "false": true, "fg": true,
	"getopts": true, "jobs": true, "kill": true, "read": true, "true": true, "type": true, "ulimit": true,
	"umask": true, "unalias": true, "wait": true, "echo": true, "printf": true, "test": true, "local": true,
}
