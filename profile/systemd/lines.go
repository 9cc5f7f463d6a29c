package systemd

import "strings"

// splitLines returns text with every line ending systemd's read_line
// recognizes turned into one "\n": a line ends at "\n", "\r" or NUL, and
// the end-of-line characters that follow it belong to the same line end
// as long as each kind (newline, carriage return, NUL) comes at most once
// and no NUL came before ("\r\n" and "\n\r" are one line end, "\n\n" two).
// Reading only "\n" (or "\r\n") as a line end would see one line where
// systemd sees two: a comment line "# x\rSystemCallFilter=" hides a
// reset that systemd applies.
func splitLines(data []byte) string {
	const (
		lf = 1 << iota
		cr
		nul
	)
	kind := func(c byte) int {
		switch c {
		case '\n':
			return lf
		case '\r':
			return cr
		case 0:
			return nul
		}
		return 0
	}
	var b strings.Builder
	b.Grow(len(data))
	prev := 0 // the kinds of the line end being read, 0 inside a line
	for _, c := range data {
		k := kind(c)
		if prev != 0 && (prev&nul != 0 || k == 0 || prev&k != 0) {
			// The line end is complete: a new line starts with c.
			prev = 0
		}
		if k == 0 {
			b.WriteByte(c)
			continue
		}
		if prev == 0 {
			b.WriteByte('\n')
		}
		prev |= k
	}
	return b.String()
}
