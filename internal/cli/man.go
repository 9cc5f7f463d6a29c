package cli

//go:generate go run ./genman ../../man

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra/doc"
)

// manDate is the date the man pages carry. It is fixed so that
// regenerating them changes nothing unless a command changed (no
// timestamps in generated files); move it when a release changes them.
var manDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

// WriteManPages writes a man page (section 1) for syscage and each of
// its commands to dir, and removes the pages of commands that are gone.
func WriteManPages(dir string) error {
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	root := newRootCmd(e)
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	old, err := filepath.Glob(filepath.Join(dir, "*.1"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	h := &doc.GenManHeader{Section: "1", Source: "syscage", Manual: "syscage manual", Date: &manDate}
	if err := doc.GenManTree(root, h, dir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	return nil
}
