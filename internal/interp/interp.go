// Package interp tells why the kernel refuses the execve of a file that
// exists and could be executed itself: the interpreter it names, on its
// #! line or as its ELF program interpreter (the dynamic loader), does
// not exist (ENOENT), or cannot be executed (EACCES).
package interp

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxDepth bounds a chain of scripts whose interpreters are scripts, as
// the kernel does (it gives up after a few levels too).
const maxDepth = 5

// Missing returns a description of the interpreter that path needs and
// that does not exist, such as "its #! interpreter /usr/bin/python9", or
// "" when path names none or every one in the chain exists. It reads
// path's first bytes, and follows a script whose interpreter is itself a
// script or a dynamically linked ELF file.
func Missing(path string) string {
	return walk(path, func(its, next string) string {
		if _, err := os.Stat(next); errors.Is(err, os.ErrNotExist) {
			return its + " does not exist"
		}
		return ""
	})
}

// Unusable returns a description of the interpreter that path needs and
// that exists but cannot be executed, such as "its #! interpreter
// /usr/bin/python3 is not executable" or "... is a directory", or "" when
// path itself cannot be executed (the kernel's EACCES is then about
// path), names no interpreter, or every one in the chain can be executed.
func Unusable(path string) string {
	if !executable(path) {
		return ""
	}
	return walk(path, func(its, next string) string {
		fi, err := os.Stat(next)
		switch {
		case err != nil:
			return ""
		case fi.IsDir():
			return its + " is a directory"
		case !fi.Mode().IsRegular():
			return its + " is not a regular file"
		case !executable(next):
			return its + " is not executable"
		}
		return ""
	})
}

// walk follows the chain of interpreters from path (a script whose
// interpreter is a script, or a dynamically linked ELF file's loader),
// calling check with each one's description ("its #! interpreter X,
// whose ELF interpreter Y") and path, and returns the first non-empty
// answer, or "" at the chain's end.
func walk(path string, check func(its, next string) string) string {
	what := ""
	for range maxDepth {
		next, kind := named(path)
		if next == "" {
			return ""
		}
		if what == "" {
			what = kind + " " + next
		} else {
			what += fmt.Sprintf(", whose %s %s", kind, next)
		}
		if s := check("its "+what, next); s != "" {
			return s
		}
		path = next
	}
	return ""
}

// named returns the interpreter path names and what kind it is.
func named(path string) (string, string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	head := make([]byte, 256) // the kernel reads at most this much of a #! line
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if rest, ok := bytes.CutPrefix(head, []byte("#!")); ok {
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[:i]
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			return "", ""
		}
		return string(fields[0]), "#! interpreter"
	}
	if !bytes.HasPrefix(head, []byte(elf.ELFMAG)) {
		return "", ""
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return "", ""
	}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), 4096))
		if err != nil {
			return "", ""
		}
		if s := string(bytes.TrimRight(b, "\x00")); s != "" {
			return s, "ELF interpreter"
		}
	}
	return "", ""
}
